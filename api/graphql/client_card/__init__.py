"""The client card (issue 17): the phonebook entry of a dialog's client, what operators named and
noted, and the client's earlier dialogs."""
