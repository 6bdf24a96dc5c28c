// The company's WhatsApp channel as every signed-in operator sees it (status, for the banner) and
// as admins drive it (QR code, pairing code, unlink, messenger settings). Kept live by
// whatsappChannelChanged on the inbox's own socket; reloaded whenever the socket comes back.
import { liveHooks } from "./inbox.mjs";
import { api, session } from "./session.mjs";
import { createStore } from "./store.mjs";

const FIELDS = `gateway linksDevices status reason reasonCode reasonParams statusSince phone device linkedAt
  reconnecting reconnectAttempt retryAt inService employeesMayWriteFirst heldCount
  qrCode { value svg expiresAt sequence of } pairingCode { phone code }
  history { at status event reason reasonCode reasonParams actor } heldMessages { id phone name text sentAt heldAt }`;
const QUERY = `query WhatsApp { whatsappChannel(history: 30) { ${FIELDS} } }`;
const CHANGED = `subscription WhatsAppChanged { whatsappChannelChanged { ${FIELDS} } }`;
const RESULT = `__typename ... on UserError { code message field }
  ... on WhatsAppChannelPayload { channel { ${FIELDS} } }`;
const MUTATIONS = {
  link: `mutation { startWhatsAppLinking { ${RESULT} } }`,
  refresh: `mutation { refreshWhatsAppCode { ${RESULT} } }`,
  unlink: `mutation { unlinkWhatsApp { ${RESULT} } }`,
  pair: `mutation Pair($phone: String!) { requestWhatsAppPairingCode(phoneNumber: $phone) {
    ${RESULT} } }`,
  settings: `mutation Settings($inService: Boolean!, $mayWrite: Boolean!) {
    updateMessengerSettings(inService: $inService, employeesMayWriteFirst: $mayWrite) {
    ${RESULT} } }`,
};

export const whatsapp = createStore({ channel: null, loaded: false, error: null });

/** Keeps the newer picture: a mutation's answer and a live push may cross. */
function adopt(channel) {
  const current = whatsapp.get().channel;
  const newest = (c) => c?.history?.[0]?.at ?? "";
  if (current && channel && newest(channel) < newest(current)) return;
  whatsapp.set({ channel, loaded: true, error: null });
}

export async function loadWhatsApp() {
  try {
    const data = await api(QUERY);
    adopt(data.whatsappChannel);
  } catch (error) {
    whatsapp.set({ loaded: true, error: error.code || "UNKNOWN" });
  }
}

/** Runs an admin action; answers null when done, else the refusal {code, message}. */
export async function act(name, variables = {}) {
  let result;
  try {
    const data = await api(MUTATIONS[name], variables);
    result = Object.values(data)[0];
  } catch (error) {
    return { code: error.code || "UNKNOWN", message: error.message };
  }
  if (result.__typename === "UserError") return result;
  whatsapp.set({ channel: result.channel, loaded: true, error: null });
  return null;
}

/** down: not connected (reconnecting, failed, not linked); off: connected but out of service. */
export function condition(channel) {
  if (!channel) return "unknown";
  if (channel.status !== "WORKING") return channel.reconnecting ? "reconnecting" : "down";
  return channel.inService ? "ok" : "off";
}

liveHooks.add((client) => {
  loadWhatsApp();
  client.subscribe({ query: CHANGED }, {
    next: ({ data }) => data && adopt(data.whatsappChannelChanged),
    error: () => {},
    complete: () => {},
  });
  client.on("connected", loadWhatsApp);
});

session.subscribe((state) => {
  if (state.status === "signedOut") whatsapp.set({ channel: null, loaded: false, error: null });
});
