"""WhatsApp message templates (Cloud API): the approved list, the reply window, syncing and
sending them."""
