"""Files docgen puts into its LibreOffice instances' profiles; run inside LibreOffice, never imported by docgen."""
