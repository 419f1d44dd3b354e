-- DOM-2: a domain's alternate SMTP port (NULL: none).
ALTER TABLE domains ADD COLUMN smtp_alt_port BIGINT;
