"""The registrar's work on the diarium: search and show (``search``), batch regeneration (``regenerate``,
a different step list over the same steps), archival packages (``archive``) and fixity (``verify``)."""
