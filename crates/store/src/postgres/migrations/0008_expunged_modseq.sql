-- What was expunged since a modseq (QRESYNC's VANISHED, every IMAP command's update check).
CREATE INDEX IF NOT EXISTS expunged_modseq ON expunged (folder_id, modseq);
