"""Call back through the PBX: `callBack`, `callBackAvailability`, and a call's entry in a
dialog's messages (`Message.call`)."""
