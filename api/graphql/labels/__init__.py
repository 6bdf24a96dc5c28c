"""Labels on dialogs: the list, admins' create/rename/delete, choosing a dialog's labels, and
the labels each inbox entry and dialog shows."""
