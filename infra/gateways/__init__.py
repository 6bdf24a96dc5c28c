"""Adapters of the WhatsAppGateway port: the simulator, WAHA and the Cloud API."""
