//! Every runtime setting: its key, type, default and meaning, written once. The
//! [`settings!`](crate::settings) table below generates a typed constant per key and the
//! [`DEFS`] list that `heron settings list` and the generated reference print.
//!
//! Keys are dotted names by area (`pop.banner`, `smtp_in.relay`). Durations are in seconds,
//! sizes in the unit the key names. `0` means "unlimited" or "off" where the doc says so.

crate::settings! {
    // ---- server ----
    /// Host name used in banners, EHLO and Received headers when no per-IP name applies; empty means the system's host name.
    SERVER_HOSTNAME: Text = "server.hostname", "";
    /// Where mail to `<postmaster>`, and to postmaster@ a hosted domain or domain alias that has no user or alias of that name, is delivered (RFC 5321 §4.5.1): an address. Empty means that domain's first domain administrator (the oldest account); with neither, such mail is refused.
    SERVER_POSTMASTER: Text = "server.postmaster", "";
    /// Host names per local IP (BIND-3), entries `IP=hostname`.
    BIND_HOSTNAMES: List = "bind.hostnames", "";
    /// Listeners (BIND-1/2): entries `PROTOCOL ENCRYPTION ADDRESS:PORT [cert=PEM key=PEM] [name=WORD] [description="TEXT"] [max=N]` (name and description for people, no commas or quotes; max the connections this listener holds at once, PROTO-8, besides its protocol's total); protocol smtp|submission|pop3|imap, encryption none|starttls|tls (LDAP and XMPP are not served yet, so their entries are refused). Unset, the defaults follow `--port-offset` and `--listen-address`.
    BIND_LISTENERS: List = "bind.listeners", "smtp starttls 0.0.0.0:25, submission starttls 0.0.0.0:587, submission tls 0.0.0.0:465, pop3 starttls 0.0.0.0:110, pop3 tls 0.0.0.0:995, imap starttls 0.0.0.0:143, imap tls 0.0.0.0:993";
    /// Default certificate chain (PEM) for TLS listeners; empty means the self-signed certificate made at first start.
    TLS_CERT: Text = "tls.cert", "";
    /// Private key (PEM) matching `tls.cert`.
    TLS_KEY: Text = "tls.key", "";

    // ---- ACME certificates (RFC 8555) ----
    /// ACME directory URL of the certificate authority (e.g. `https://acme-v02.api.letsencrypt.org/directory`); empty = no automatic certificates. Set, this node obtains a certificate for its host names, keeps it under `DATA/tls/acme/`, renews it and uses it on every TLS listener without a listener `cert=` pair, in place of `tls.cert`.
    ACME_DIRECTORY: Text = "acme.directory", "";
    /// Contact e-mail address given to the certificate authority with the account (expiry notices); empty = none.
    ACME_CONTACT: Text = "acme.contact", "";
    /// Host names the certificate names besides this node's own: `server.hostname` (else the system's host name) and the `bind.hostnames` names are always included. Hosted domains are added through `acme.domain_labels`; other names go here (e.g. `webmail.example.com`). Every name must resolve to this server or the whole order fails.
    ACME_NAMES: List = "acme.names", "";
    /// Labels put in front of every enabled hosted domain's name for the certificate: `mail, mta-sts, autoconfig` adds `mail.DOMAIN`, `mta-sts.DOMAIN` (whose HTTPS policy must have a trusted certificate, RFC 8461) and `autoconfig.DOMAIN` for each domain, looked at again a minute after a domain is added or removed. Every such name must resolve to this node or the order fails; empty = hosted domains are not added. A certificate names at most 100 names, this node's own first.
    ACME_DOMAIN_LABELS: List = "acme.domain_labels", "";
    /// How the certificate authority checks that the names are ours: http-01 (a file served by the admin listener at `/.well-known/acme-challenge/`, reached on port 80) or tls-alpn-01 (answered by every implicit-TLS listener, reached on port 443).
    ACME_CHALLENGE: Choice(&["http-01", "tls-alpn-01"]) = "acme.challenge", "http-01";
    /// Days before its expiry a certificate is renewed; a change of any `acme.` setting is looked at at once.
    ACME_RENEW_DAYS: Count = "acme.renew_days", "30";
    /// A root certificate (PEM file) to trust for the ACME directory instead of the system's roots, for a private or test certificate authority; empty = the system's roots.
    ACME_CA_FILE: Text = "acme.ca_file", "";

    /// Rows per page in the lists of the admin web interface (1-1000).
    ADMIN_ITEMS_PER_PAGE: Count = "admin.items_per_page", "50";
    /// Seconds an admin client has to send a request's headers, counted from connecting or from the end of the previous answer (so idle keep-alive connections are closed after it too); a request cut off is answered 408, a silent connection just closed. 0 counts as 1.
    ADMIN_HEADER_TIMEOUT: Seconds = "admin.header_timeout", "10";
    /// Seconds an admin client has to send a request's body once its headers are in (a slower body is answered 408 and the connection closed), and may leave an answer unread before it is dropped. 0 counts as 1.
    ADMIN_BODY_TIMEOUT: Seconds = "admin.body_timeout", "20";
    /// Concurrent connections to the admin listener; further ones are closed as they are accepted. Never more than 1/8 of the process's open-file limit; 0 = that share alone.
    ADMIN_MAX_CONNECTIONS: Count = "admin.max_connections", "256";
    /// Addresses (IP, CIDR or FIRST-LAST range) that may read `/metrics` on the admin listener without an API token, besides 127.0.0.1 and ::1, which always may; from elsewhere it takes a system administrator's token (`Authorization: Bearer`).
    ADMIN_METRICS_IPS: List = "admin.metrics_ips", "";
    /// Serve the admin listener's plain HTTP to clients on this machine (127.0.0.0/8, ::1). The admin port (`--admin-listen`) speaks HTTPS and plain HTTP at once; plain-HTTP requests from other addresses are always redirected (308) to HTTPS. Off, loopback clients are redirected too.
    ADMIN_PLAIN_HTTP_LOOPBACK: Bool = "admin.plain_http_loopback", "true";

    // ---- POP (PROTO-2, ACCESS-1) ----
    /// POP service running on the whole cluster (OPS-1); one node may also stop it on itself.
    POP_ENABLED: Bool = "pop.enabled", "true";
    /// POP greeting (PROTO-1); variables #HostName#, #ConnectedIP#, #Time#, #TimeUTC#, #UnixTime#.
    POP_BANNER: Text = "pop.banner", "#HostName# Heron POP3 server ready";
    /// Seconds a POP client may stay silent before the session is closed.
    POP_COMMAND_TIMEOUT: Seconds = "pop.command_timeout", "300";
    /// Unknown or improper commands before a POP session is closed.
    POP_MAX_BAD_COMMANDS: Count = "pop.max_bad_commands", "8";
    /// Concurrent POP sessions; 0 = unlimited.
    POP_MAX_CONNECTIONS: Count = "pop.max_connections", "500";
    /// Concurrent POP sessions from one IP; 0 = unlimited. Whitelisted IPs (SEC-1) are exempt.
    POP_MAX_CONNECTIONS_PER_IP: Count = "pop.max_connections_per_ip", "50";
    /// Allow USER/PASS and AUTH PLAIN/LOGIN without TLS from non-loopback addresses.
    POP_ALLOW_PLAINTEXT_AUTH: Bool = "pop.allow_plaintext_auth", "false";

    // ---- IMAP (PROTO-3) ----
    /// IMAP service running on the whole cluster (OPS-1); one node may also stop it on itself.
    IMAP_ENABLED: Bool = "imap.enabled", "true";
    /// IMAP greeting (PROTO-1).
    IMAP_BANNER: Text = "imap.banner", "#HostName# Heron IMAP server ready";
    /// Seconds an IMAP client may stay silent (outside IDLE).
    IMAP_COMMAND_TIMEOUT: Seconds = "imap.command_timeout", "900";
    /// Bad commands before an IMAP session is closed.
    IMAP_MAX_BAD_COMMANDS: Count = "imap.max_bad_commands", "8";
    /// Concurrent IMAP sessions; 0 = unlimited.
    IMAP_MAX_CONNECTIONS: Count = "imap.max_connections", "1000";
    /// Concurrent IMAP sessions from one IP; 0 = unlimited. Whitelisted IPs (SEC-1) are exempt.
    IMAP_MAX_CONNECTIONS_PER_IP: Count = "imap.max_connections_per_ip", "100";
    /// Bytes per second an APPEND literal must average once `imap.command_timeout` has passed; 0 = no minimum.
    IMAP_MIN_DATA_RATE: Count = "imap.min_data_rate", "500";
    /// Seconds one SEARCH may compute; past it the search stops and is answered NO [LIMIT].
    IMAP_SEARCH_TIMEOUT: Seconds = "imap.search_timeout", "60";
    /// Offer IDLE (RFC 2177).
    IMAP_IDLE: Bool = "imap.idle", "true";
    /// Mailboxes one user may have, INBOX and the default folders included; CREATE and RENAME that would pass it are refused with NO [LIMIT]. 0 = unlimited.
    IMAP_MAX_MAILBOXES: Count = "imap.max_mailboxes", "1000";
    /// Levels a mailbox name may have (`a/b/c` has 3); deeper CREATE and RENAME are refused with NO [LIMIT]. 0 = unlimited.
    IMAP_MAX_MAILBOX_DEPTH: Count = "imap.max_mailbox_depth", "32";
    /// Longest mailbox name in bytes (UTF-8, the whole path); longer CREATE and RENAME are refused with NO [LIMIT]. 0 = unlimited.
    IMAP_MAX_MAILBOX_NAME: Count = "imap.max_mailbox_name", "255";

    // ---- SMTP in (PROTO-5) ----
    /// SMTP service running on the whole cluster (OPS-1); one node may also stop it on itself.
    SMTP_ENABLED: Bool = "smtp_in.enabled", "true";
    /// SMTP greeting (PROTO-1).
    SMTP_BANNER: Text = "smtp_in.banner", "#HostName# Heron ESMTP ready";
    /// Authenticated clients may only use sender addresses of their own domain (or its domain aliases).
    SMTP_SENDER_LOGIN_MATCH: Bool = "smtp_in.sender_login_match", "true";
    /// Who may relay: nobody, local-users, local-domains, anyone.
    SMTP_RELAY: Choice(&["nobody", "local-users", "local-domains", "anyone"]) = "smtp_in.relay", "local-users";
    /// Seconds a whole SMTP session may last; 0 disables the limit.
    SMTP_SESSION_TIMEOUT: Seconds = "smtp_in.session_timeout", "900";
    /// Seconds an SMTP client may stay silent.
    SMTP_COMMAND_TIMEOUT: Seconds = "smtp_in.command_timeout", "120";
    /// Bad commands before an SMTP session is closed.
    SMTP_MAX_BAD_COMMANDS: Count = "smtp_in.max_bad_commands", "8";
    /// Concurrent SMTP sessions; 0 = unlimited.
    SMTP_MAX_CONNECTIONS: Count = "smtp_in.max_connections", "1000";
    /// Concurrent SMTP sessions from one IP; 0 = unlimited. Whitelisted IPs (SEC-1) are exempt.
    SMTP_MAX_CONNECTIONS_PER_IP: Count = "smtp_in.max_connections_per_ip", "50";
    /// Bytes per second a message body (DATA, BDAT) must average once `smtp_in.command_timeout` has passed; 0 = no minimum.
    SMTP_MIN_DATA_RATE: Count = "smtp_in.min_data_rate", "500";
    /// Megabytes of message bodies the sessions of one SMTP door (port 25, or submission) may hold in memory while receiving; past it a message is answered 452 4.3.1 (try later); 0 = unlimited.
    SMTP_BODY_MEMORY_MB: Count = "smtp_in.body_memory_mb", "1024";
    /// Received headers allowed before a message is refused as looping.
    SMTP_MAX_HOP_COUNT: Count = "smtp_in.max_hop_count", "20";
    /// Largest message accepted, in MB; 0 = unlimited.
    SMTP_MAX_MESSAGE_MB: Count = "smtp_in.max_message_mb", "30";
    /// Unknown recipients before an SMTP session is closed.
    SMTP_MAX_BAD_RECIPIENTS: Count = "smtp_in.max_bad_recipients", "20";
    /// Answer VRFY.
    SMTP_VRFY: Bool = "smtp_in.vrfy", "false";
    /// Answer EXPN.
    SMTP_EXPN: Bool = "smtp_in.expn", "false";
    /// Relay settings do not apply to authenticated sessions.
    SMTP_AUTH_BYPASSES_RELAY: Bool = "smtp_in.auth_bypasses_relay", "true";
    /// Enforce a domain's "require SMTP AUTH" also for local deliveries.
    SMTP_ENFORCE_AUTH_LOCAL: Bool = "smtp_in.enforce_auth_for_local", "false";
    /// Offer AUTH LOGIN.
    SMTP_AUTH_LOGIN: Bool = "smtp_in.auth_login", "true";
    /// Add no Received header to authenticated mail.
    SMTP_SKIP_RECEIVED_AUTH: Bool = "smtp_in.skip_received_for_auth", "false";
    /// Recipients per message for unauthenticated mail; 0 = unlimited.
    SMTP_MAX_RECIPIENTS: Count = "smtp_in.max_recipients", "200";

    /// Sender addresses or domains refused at MAIL FROM (SEC-4); entries `user@domain`, `domain`, with `*` wildcards.
    SMTP_BLOCKED_SENDERS: List = "security.blocked_senders", "";
    /// IPs or ranges that may send through SMTP without AUTH (SEC-6); same form as the IP lists.
    SMTP_AUTH_BYPASS: List = "security.smtp_auth_bypass", "";

    // ---- submission and outgoing-SMTP access (PROTO-8) ----
    /// Who may authenticate on submission ports: any-account (every local user) or fixed (only `submission.fixed_user`).
    SUBMISSION_AUTH: Choice(&["any-account", "fixed"]) = "submission.auth", "any-account";
    /// The one account allowed when `submission.auth` is fixed (a local user's address).
    SUBMISSION_FIXED_USER: Text = "submission.fixed_user", "";
    /// Client IP ranges allowed on submission ports; connections from elsewhere are dropped. Empty = everyone.
    SUBMISSION_ALLOWED_IPS: List = "submission.allowed_ips", "";
    /// IPs that bypass every submission restriction (no AUTH needed).
    SUBMISSION_SAFE_IPS: List = "submission.safe_ips", "";
    /// Refuse connections that claim one of this host's own IPs from outside (anti-spoofing).
    SUBMISSION_BLOCK_OWN_IPS: Bool = "submission.block_own_ips", "false";
    /// Treat this host's own IPs as safe.
    SUBMISSION_OWN_IPS_SAFE: Bool = "submission.own_ips_safe", "false";
    /// Concurrent sessions on submission ports; 0 = unlimited.
    SUBMISSION_MAX_CONNECTIONS: Count = "submission.max_connections", "1000";
    /// Concurrent sessions on submission ports from one IP; 0 = unlimited. Whitelisted IPs (SEC-1) are exempt.
    SUBMISSION_MAX_CONNECTIONS_PER_IP: Count = "submission.max_connections_per_ip", "50";

    // ---- SMTP out (PROTO-6) ----
    /// Seconds to wait for a remote server's reply.
    SMTP_OUT_COMMAND_TIMEOUT: Seconds = "smtp_out.command_timeout", "60";
    /// Local IP outbound connections leave from; empty = the system's choice.
    SMTP_OUT_IP: Text = "smtp_out.ip", "";
    /// Retry once from the primary IP when the outbound IP fails.
    SMTP_OUT_FALLBACK_PRIMARY: Bool = "smtp_out.fallback_primary_ip", "true";
    /// Deliveries running at once.
    SMTP_OUT_DELIVERY_WORKERS: Count = "smtp_out.delivery_workers", "50";
    /// Messages whose spam and virus checks run at once (SPOOL-3); a message waiting for a slot waits within its SMTP session's timeout. 0 counts as 1.
    SPAM_CHECK_WORKERS: Count = "smtp_out.spam_check_workers", "30";
    /// Cache DNS answers.
    SMTP_OUT_DNS_CACHE: Bool = "smtp_out.dns_cache", "true";
    /// Use STARTTLS when the remote offers it.
    SMTP_OUT_STARTTLS: Bool = "smtp_out.starttls", "true";
    /// TCP port of the remote servers found by MX (or A/AAAA) lookups.
    SMTP_OUT_PORT: Count = "smtp_out.port", "25";
    /// Apply the MTA-STS policies (RFC 8461) of recipient domains: with `enforce`, mail goes only to the policy's MX hosts over TLS with a certificate valid for the MX name, and is deferred otherwise (never sent in plain text); with `testing`, failures are only reported (TLS-RPT). Policies are cached in memory on each node for their `max_age`.
    SMTP_OUT_MTA_STS: Bool = "smtp_out.mta_sts", "true";
    /// TCP port of the HTTPS servers MTA-STS policies are fetched from (`https://mta-sts.DOMAIN/.well-known/mta-sts.txt`); the host is looked up through `dns.servers`.
    SMTP_OUT_MTA_STS_PORT: Count = "smtp_out.mta_sts_port", "443";
    /// A PEM file of extra certificate authorities trusted, besides the public web roots, for MTA-STS policy fetches and for the certificates of MX hosts under an MTA-STS policy; empty = the public roots only.
    SMTP_OUT_TLS_CA_FILE: Text = "smtp_out.tls_ca_file", "";
    /// DANE for outbound SMTP (RFC 7672): when a recipient domain's MX answer is DNSSEC-authenticated, look up the MX hosts' TLSA records and accept only a server certificate matching them (DANE-TA and DANE-EE), deferring the mail otherwise. Heron trusts the AD bit of the first `dns.servers` entry (127.0.0.1:53 when empty), so turn this on only with a trusted, validating resolver on this host; while it gives no usable answer for a domain's MX or TLSA records (SERVFAIL for a bogus answer, or none), mail to that domain waits.
    SMTP_OUT_DANE: Bool = "smtp_out.dane", "false";

    // ---- routing (ROUTE-1..3, SEC-5) ----
    /// Domain forwarding (ROUTE-1): entries `domain=host[:port]`; mail for the domain is accepted and relayed to that server.
    ROUTE_FORWARDING: List = "route.forwarding", "";
    /// Backup MX (ROUTE-2): primary servers' IPs; mail for a domain whose MX hosts resolve to one of them is accepted and held until the primary takes it.
    ROUTE_BACKUP_PRIMARIES: List = "route.backup_primaries", "";
    /// Outgoing gateways (ROUTE-3): entries `host[:port] MIN-MAX [user password]`; mail whose priority is within MIN..MAX leaves through them, in turn.
    ROUTE_GATEWAYS: List = "route.gateways", "";
    /// Domains that forwarding may never target (SEC-5).
    FORWARDING_BLACKLIST: List = "security.forwarding_blacklist", "";

    // ---- domain defaults (DOM-4, DOM-12): what a new domain gets; `propagate` pushes them to existing domains ----
    /// Disk space for all mailboxes of a new domain, in MB; 0 = unlimited.
    DOMAIN_DEFAULTS_DISK_MB: Count = "domain_defaults.disk_mb", "500";
    /// Users a new domain may have; 0 = unlimited.
    DOMAIN_DEFAULTS_MAX_USERS: Count = "domain_defaults.max_users", "100";
    /// User aliases a new domain may have; 0 = unlimited.
    DOMAIN_DEFAULTS_MAX_ALIASES: Count = "domain_defaults.max_aliases", "1000";
    /// Domain aliases a new domain may have; 0 = unlimited.
    DOMAIN_DEFAULTS_MAX_DOMAIN_ALIASES: Count = "domain_defaults.max_domain_aliases", "2";
    /// Largest message a user of a new domain may send, in KB; 0 = unlimited. Mail sent to the domain is limited by `smtp_in.max_message_mb` only.
    DOMAIN_DEFAULTS_MAX_MESSAGE_KB: Count = "domain_defaults.max_message_kb", "10000";
    /// Recipients per message for users of a new domain; 0 = unlimited.
    DOMAIN_DEFAULTS_MAX_RECIPIENTS: Count = "domain_defaults.max_recipients", "200";
    /// POP-retrieval accounts each user of a new domain may have (ACCESS-4); 0 = unlimited.
    DOMAIN_DEFAULTS_MAX_POP_ACCOUNTS: Count = "domain_defaults.max_pop_accounts", "10";
    /// Users of a new domain must authenticate to send (DOM-2).
    DOMAIN_DEFAULTS_REQUIRE_SMTP_AUTH: Bool = "domain_defaults.require_smtp_auth", "false";

    // ---- priorities (DOM-6): 1..10, higher leaves first ----
    /// Priority of ordinary mail.
    PRIORITY_STANDARD: Count = "priority.standard", "5";
    /// Priority of mail larger than `priority.oversize_threshold`.
    PRIORITY_OVERSIZE: Count = "priority.oversize", "5";
    /// Size in KB above which mail gets `priority.oversize`.
    PRIORITY_OVERSIZE_THRESHOLD: Count = "priority.oversize_threshold", "2048";
    /// Priority of delivery reports (bounces and other notifications).
    PRIORITY_REPORTS: Count = "priority.reports", "5";
    /// Priority of a message's second delivery attempt.
    PRIORITY_SECOND_ATTEMPT: Count = "priority.second_attempt", "5";
    /// Priority of its third and later attempts.
    PRIORITY_THIRD_ATTEMPT: Count = "priority.third_attempt", "5";

    // ---- spool (SPOOL-2/6/7) ----
    /// Spool delivery running on the whole cluster (OPS-1); one node may also stop it on itself.
    SPOOL_ENABLED: Bool = "spool.enabled", "true";
    /// Seconds before the first delivery attempt.
    SPOOL_DELIVERY_DELAY: Seconds = "spool.delivery_delay", "15";
    /// Intervals between attempts (minutes, or with a unit s, m, h), then bounce.
    SPOOL_RETRY_SCHEDULE: List = "spool.retry_schedule", "15, 30, 60, 90";
    /// Attempts failing on DNS before a bounce.
    SPOOL_DNS_ERROR_ATTEMPTS: Count = "spool.dns_error_attempts", "2";
    /// Program run on each new message with %filepath; empty = none.
    SPOOL_COMMAND: Text = "spool.command", "";
    /// Seconds the new-mail program may run.
    SPOOL_COMMAND_TIMEOUT: Seconds = "spool.command_timeout", "5";

    // ---- DNS ----
    /// DNS servers, entries `IP` or `IP:PORT`; empty = the system's resolvers.
    DNS_SERVERS: List = "dns.servers", "";

    // ---- addresses (DOM-10) ----
    /// Characters that split a local part into user and tag (sub-addressing, RFC 5233): mail to `user+tag@domain` goes to `user@domain` when no user or alias is named `user+tag`. Each character is a separator; empty turns sub-addressing off.
    ADDRESS_SUBADDRESS_SEPARATORS: Text = "address.subaddress_separators", "+";
    /// Mail to `user+tag@domain` goes into the user's folder named `tag` (compared without regard to case; never created; never Sent or Drafts) when there is one; otherwise, or when off, into INBOX.
    ADDRESS_SUBADDRESS_FOLDERS: Bool = "address.subaddress_folders", "true";

    // ---- security (SEC-1, SEC-9, SEC-10) ----
    /// Refused IPs (SEC-1): entries `IP|CIDR|FIRST-LAST [protocols]`, protocols a `+`-joined subset of smtp, pop3, imap, ldap, xmpp (all when omitted).
    SECURITY_IP_BLACKLIST: List = "security.ip_blacklist", "";
    /// Trusted IPs (SEC-1), same form; exempt from relay restrictions and the per-IP connection limits.
    SECURITY_IP_WHITELIST: List = "security.ip_whitelist", "";
    /// Shortest password accepted (SEC-9).
    PASSWORD_MIN_LENGTH: Count = "security.password_min_length", "8";
    /// Passwords need a digit.
    PASSWORD_REQUIRE_DIGIT: Bool = "security.password_require_digit", "true";
    /// Passwords need a capital letter.
    PASSWORD_REQUIRE_UPPER: Bool = "security.password_require_upper", "false";
    /// Passwords need a lower-case letter.
    PASSWORD_REQUIRE_LOWER: Bool = "security.password_require_lower", "true";
    /// Passwords need a symbol.
    PASSWORD_REQUIRE_SYMBOL: Bool = "security.password_require_symbol", "false";
    /// Passwords may not be or contain the user name.
    PASSWORD_NOT_USERNAME: Bool = "security.password_not_username", "true";
    /// Seconds a password that passed the (slow, argon2) check at login is remembered, as a keyed hash in memory, so the same user logging in again with it is not checked again; a password change anywhere ends it at once, and disabled accounts are refused as ever. 0 = off.
    LOGIN_CACHE_SECONDS: Seconds = "security.login_cache_seconds", "300";
    /// Store the CRAM-MD5 secret with new passwords (needed for AUTH CRAM-MD5).
    AUTH_CRAM_MD5: Bool = "security.cram_md5", "true";
    /// Catch-all addresses take effect (SEC-10).
    CATCH_ALLS: Bool = "security.catch_alls", "true";
    /// Bounces and auto-replies: enabled, spf-pass (only when the sender passes SPF), disabled.
    BOUNCES: Choice(&["enabled", "spf-pass", "disabled"]) = "security.bounces", "enabled";

    // ---- spam filtering (FILTER-1..5, DOM-3): weights of the checks, levels, actions ----
    /// Run the spam and virus checks on arriving mail (DOM-3 content filtering). Off, only DKIM signatures are verified and reported in Authentication-Results.
    FILTER_ENABLED: Bool = "filter.enabled", "true";
    /// Seconds each check (DNS lookups, SpamAssassin, ClamAV, Bayes) may take; a check that runs out scores nothing and is named in the X-Spam-Unanswered header as timed out. 0 counts as 1.
    FILTER_CHECK_TIMEOUT: Seconds = "filter.check_timeout", "15";
    /// Weight added when the sender's SPF record authorises the connecting IP (RFC 7208 pass); may be negative to lower the weight of authenticated mail.
    FILTER_SPF_PASS: Weight = "filter.spf_pass", "0";
    /// Weight of SPF fail: the domain's record forbids the connecting IP.
    FILTER_SPF_FAIL: Weight = "filter.spf_fail", "10";
    /// Weight of SPF softfail: the record says the IP is probably not allowed.
    FILTER_SPF_SOFTFAIL: Weight = "filter.spf_softfail", "5";
    /// Weight of SPF neutral: the record makes no statement about the IP.
    FILTER_SPF_NEUTRAL: Weight = "filter.spf_neutral", "0";
    /// Weight of SPF permerror: the domain's record is broken.
    FILTER_SPF_PERMERROR: Weight = "filter.spf_permerror", "0";
    /// Weight of SPF temperror: the record could not be read for now.
    FILTER_SPF_TEMPERROR: Weight = "filter.spf_temperror", "0";
    /// Weight of SPF none: the domain publishes no SPF record.
    FILTER_SPF_NONE: Weight = "filter.spf_none", "0";
    /// Weight added when a DKIM signature on the message does not verify (RFC 6376).
    FILTER_DKIM_FAIL: Weight = "filter.dkim_fail", "5";
    /// Weight added when the From domain's DMARC policy is not met (RFC 7489: neither an aligned SPF pass nor an aligned DKIM pass).
    FILTER_DMARC_FAIL: Weight = "filter.dmarc_fail", "10";
    /// Honour the From domain's DMARC policy: a failing message of a `p=reject` domain is refused at DATA (550 5.7.1) and one of a `p=quarantine` domain goes to the recipient's Junk folder (`pct=` and `sp=` respected). Off, DMARC only adds its weight.
    FILTER_DMARC_ENFORCE: Bool = "filter.dmarc_enforce", "false";
    /// Weight added when an ARC chain on the message (RFC 8617) does not verify.
    FILTER_ARC_FAIL: Weight = "filter.arc_fail", "0";
    /// Weight added when the connecting IP has no reverse DNS name, or its name does not resolve back to it (RFC 8601 iprev).
    FILTER_REVERSE_DNS: Weight = "filter.reverse_dns", "3";
    /// DNS blocklists the connecting IP is looked up in (FILTER-2): entries `NAME WEIGHT ZONE [DESCRIPTION]`, e.g. `spamhaus 10 zen.spamhaus.org Spamhaus ZEN`. A listed IP adds the list's weight.
    FILTER_RBL_LISTS: List = "filter.rbl_lists", "";
    /// Domain blocklists (URIBL) the sender's domain, the From domain and the domains of links in the body are looked up in: entries `NAME WEIGHT ZONE [DESCRIPTION]`. At most 20 link domains per message are looked up.
    FILTER_URIBL_LISTS: List = "filter.uribl_lists", "";
    /// Custom header rules (FILTER-2): entries `HEADER WEIGHT PATTERN`; the weight is added when a field of that name has a value matching the pattern (case-insensitive, `*` matches any run of characters; `*` alone matches any value).
    FILTER_HEADER_RULES: List = "filter.header_rules", "";
    /// Weight from which a message is at the low spam level (FILTER-3).
    FILTER_LEVEL_LOW: Weight = "filter.level_low", "5";
    /// Weight from which a message is at the medium spam level.
    FILTER_LEVEL_MEDIUM: Weight = "filter.level_medium", "10";
    /// Weight from which a message is at the high spam level.
    FILTER_LEVEL_HIGH: Weight = "filter.level_high", "20";
    /// What happens to mail at the low level: deliver, subject (the level's text in front of the Subject), header (X-Spam-Flag: YES and the text as X-Spam-Tag), junk (into the recipient's Junk folder), delete, bounce (the sender gets the text back).
    FILTER_ACTION_LOW: Choice(crate::kinds::SPAM_ACTIONS) = "filter.action_low", "header";
    /// What happens to mail at the medium level (same choices as low).
    FILTER_ACTION_MEDIUM: Choice(crate::kinds::SPAM_ACTIONS) = "filter.action_medium", "junk";
    /// What happens to mail at the high level (same choices as low).
    FILTER_ACTION_HIGH: Choice(crate::kinds::SPAM_ACTIONS) = "filter.action_high", "junk";
    /// Text of the low level's action (subject tag, header tag or bounce text).
    FILTER_TEXT_LOW: Text = "filter.text_low", "[SPAM?]";
    /// Text of the medium level's action.
    FILTER_TEXT_MEDIUM: Text = "filter.text_medium", "[SPAM]";
    /// Text of the high level's action.
    FILTER_TEXT_HIGH: Text = "filter.text_high", "[SPAM]";
    /// Domains' own level thresholds, actions and texts apply to mail for their users, and domain administrators may change them (FILTER-3); off, every domain gets the server's.
    FILTER_DOMAIN_OVERRIDES: Bool = "filter.domain_overrides", "true";
    /// Users' own level thresholds, actions and texts apply to their mail, and their domain's administrators may change them (FILTER-3); off, users get their domain's.
    FILTER_USER_OVERRIDES: Bool = "filter.user_overrides", "false";
    /// Refuse arriving mail at DATA (550 5.7.1) from this weight on (FILTER-4); 0 = never.
    FILTER_REJECT_INCOMING: Count = "filter.reject_incoming", "30";
    /// Block mail sent by this server's users (to other servers) from this weight on (FILTER-4); 0 = never.
    FILTER_BLOCK_OUTGOING: Count = "filter.block_outgoing", "30";
    /// A blocked outgoing message is accepted and bounced back to its sender with the reason; off, it is refused at DATA.
    FILTER_BOUNCE_OUTGOING: Bool = "filter.bounce_outgoing", "false";
    /// No filtering of mail an authenticated user sends to users of their own domain (FILTER-5); mail from other servers claiming a hosted sender is filtered.
    FILTER_SKIP_SAME_DOMAIN: Bool = "filter.skip_same_domain", "true";
    /// No filtering of mail from whitelisted IPs (SEC-1).
    FILTER_SKIP_WHITELISTED: Bool = "filter.skip_whitelisted", "true";
    /// Clients that are not filtered, IPs or networks: programs on this machine or the organisation's own servers that send through it without authenticating.
    FILTER_SKIP_NETWORKS: List = "filter.skip_networks", "127.0.0.1, ::1";
    /// Bypass gateways (FILTER-5): IPs or networks of relays in front of this server; for mail from them the IP-based checks (SPF, reverse DNS, DNSBL) use the originating IP found in the Received fields below the gateway's.
    FILTER_BYPASS_GATEWAYS: List = "filter.bypass_gateways", "";

    // ---- DMARC reports (FILTER-2, RFC 7489 §7): aggregate reports sent and received ----
    /// Collect the DMARC results of mail arriving from other servers for hosted domains, when the From domain's DMARC record asks for aggregate reports (`rua=`), and send each such domain a daily report (RFC 7489 §7.2). A report address outside the policy domain gets reports only when its domain publishes `<policy domain>._report._dmarc.<its domain>` (§7.1).
    DMARC_REPORTS: Bool = "dmarc.reports", "true";
    /// Hour of the day (UTC, 0-23) from which the reports of the days before are sent; each node looks every 10 minutes from then on, and the store hands every collected row to one of them.
    DMARC_REPORT_HOUR: Count = "dmarc.report_hour", "1";
    /// Organisation named as the reporter in the reports sent; empty means the server's host name.
    DMARC_REPORT_ORG: Text = "dmarc.report_org", "";
    /// Address the reports are sent from, also named as the reporter's contact; empty means `noreply-dmarc@` the server's host name.
    DMARC_REPORT_FROM: Text = "dmarc.report_from", "";
    /// Rows of results (one per sending IP, domain and results) collected per day, over all domains; messages with results not yet seen that day are not counted beyond it. 0 = no limit.
    DMARC_MAX_ROWS_PER_DAY: Count = "dmarc.max_rows_per_day", "10000";
    /// Days collected results are kept when they could not be sent (reports off, the server down at the report hour); older ones are dropped.
    DMARC_KEEP_DAYS: Count = "dmarc.keep_days", "3";
    /// Read the DMARC aggregate reports that other servers send to hosted addresses (an XML file, gzip or zip attachment) and keep a summary for the admin interface; the message is delivered as usual.
    DMARC_RECEIVE: Bool = "dmarc.receive", "true";
    /// Kilobytes a received report may have: the message, and the XML once uncompressed; larger ones are delivered but not read.
    DMARC_MAX_REPORT_KB: Count = "dmarc.max_report_kb", "5120";
    /// Rows of a received report that are kept; the rest are counted in no summary.
    DMARC_MAX_REPORT_ROWS: Count = "dmarc.max_report_rows", "1000";
    /// Days the received reports are kept.
    DMARC_RECEIVED_KEEP_DAYS: Count = "dmarc.received_keep_days", "180";

    // ---- MTA-STS policy of the hosted domains (RFC 8461) ----
    /// Mode of the MTA-STS policy served for every hosted domain at `https://mta-sts.DOMAIN/.well-known/mta-sts.txt` (by the admin listener, when the request's Host is `mta-sts.` and a hosted domain): `testing`, `enforce` or `none`. The domain's `_mta-sts` TXT record is published by its DNS administrator.
    MTA_STS_MODE: Choice(&["testing", "enforce", "none"]) = "mta_sts.mode", "testing";
    /// Seconds senders may cache the served MTA-STS policy (at most 31557600).
    MTA_STS_MAX_AGE: Seconds = "mta_sts.max_age", "604800";
    /// MX patterns of the served MTA-STS policy (`mx.example.com` or `*.example.com`); empty = the server's host name.
    MTA_STS_MX: List = "mta_sts.mx", "";

    // ---- TLS reporting (RFC 8460) ----
    /// Send SMTP TLS reports (RFC 8460): the outcomes of outbound TLS sessions held to a recipient domain's MTA-STS policy are counted per day, and reported daily to the `mailto:` addresses of the domain's `_smtp._tls` TXT record.
    TLSRPT_REPORTS: Bool = "tlsrpt.reports", "true";
    /// Hour of the day (UTC, 0-23) from which the TLS reports of the days before are sent; each node looks every 10 minutes from then on.
    TLSRPT_REPORT_HOUR: Count = "tlsrpt.report_hour", "2";
    /// Address the TLS reports are sent from, also given as the contact; empty means `noreply-tlsrpt@` the server's host name.
    TLSRPT_REPORT_FROM: Text = "tlsrpt.report_from", "";
    /// Rows of outcomes (one per policy domain, MX host and result) counted per day over all domains; 0 = no limit.
    TLSRPT_MAX_ROWS_PER_DAY: Count = "tlsrpt.max_rows_per_day", "10000";
    /// Days counted outcomes are kept when they could not be sent.
    TLSRPT_KEEP_DAYS: Count = "tlsrpt.keep_days", "3";

    // ---- Bayes (FILTER-2): the content classifier, learned from users' Junk moves ----
    /// Run the Bayesian content check on arriving mail (FILTER-2).
    BAYES_ENABLED: Bool = "bayes.enabled", "true";
    /// Weight added when the Bayesian classifier rates a message's spam probability at or above `bayes.spam_percent`.
    BAYES_WEIGHT: Weight = "bayes.weight", "10";
    /// Spam probability, in percent, from which `bayes.weight` is added.
    BAYES_SPAM_PERCENT: Count = "bayes.spam_percent", "90";
    /// Weight added when the probability is at or below `bayes.ham_percent` (clearly good mail); usually 0 or negative, e.g. -3 to offset other checks' false alarms.
    BAYES_HAM_WEIGHT: Weight = "bayes.ham_weight", "0";
    /// Spam probability, in percent, up to which `bayes.ham_weight` is added.
    BAYES_HAM_PERCENT: Count = "bayes.ham_percent", "10";
    /// Megabytes the classifier's token database may take in the store, at about 64 bytes a token (1 MB keeps 16,384 tokens); beyond it the tokens least recently learned, rarest first, are dropped; 0 = no limit.
    BAYES_MAX_MEMORY_MB: Count = "bayes.max_memory_mb", "32";
    /// Messages learned as spam needed before the classifier gives an answer.
    BAYES_MIN_SPAM: Count = "bayes.min_spam", "200";
    /// Messages learned as good mail (ham) needed before the classifier gives an answer.
    BAYES_MIN_HAM: Count = "bayes.min_ham", "200";
    /// Messages required for filter update: each time this many messages have been learned as spam or good mail, the token database is pruned to `bayes.max_memory_mb` (token counts themselves are read from the store for every message, so learning takes effect at once). 0 counts as 1.
    BAYES_RETRAIN_MESSAGES: Count = "bayes.retrain_messages", "100";
    /// Learn from users: a message moved or copied into a Junk folder over IMAP, or flagged $Junk, is learned as spam; one moved out of Junk into a folder other than Trash, or flagged $NotJunk, as good mail.
    BAYES_LEARN_FROM_USERS: Bool = "bayes.learn_from_users", "true";

    // ---- SpamAssassin (FILTER-2) ----
    /// Ask SpamAssassin's spamd (over the spamd protocol) about every message; its verdict adds the weight of the band its score falls in.
    SPAMASSASSIN_ENABLED: Bool = "spamassassin.enabled", "false";
    /// spamd servers, entries `HOST:PORT`; the attempts for one message go round them in turn.
    SPAMASSASSIN_ADDRESS: List = "spamassassin.address", "127.0.0.1:783";
    /// Seconds one attempt (connect, send, spamd's answer) may take; 0 counts as 1. `filter.check_timeout` bounds all the attempts of a message together.
    SPAMASSASSIN_TIMEOUT: Seconds = "spamassassin.timeout", "10";
    /// Attempts per message (FILTER-2): a spamd that is down, slow or answers an error is asked again, up to this many times in all, before the check is reported unanswered; 0 counts as 1.
    SPAMASSASSIN_MAX_ATTEMPTS: Count = "spamassassin.max_attempts", "2";
    /// Largest message in KB sent to spamd (spamc's own default); larger messages are not scanned.
    SPAMASSASSIN_MAX_SIZE: Count = "spamassassin.max_size", "500";
    /// Score, in percent of spamd's own threshold (its `required_score`, 5.0 unless spamd is configured otherwise), from which SpamAssassin rates a message a low probability of spam: 50 means a score of 2.5 with the usual threshold.
    SPAMASSASSIN_LOW_FROM: Count = "spamassassin.low_from", "50";
    /// Score, in percent of spamd's threshold, from which the probability of spam is medium: 100 means what spamd itself calls spam.
    SPAMASSASSIN_MEDIUM_FROM: Count = "spamassassin.medium_from", "100";
    /// Score, in percent of spamd's threshold, from which the probability of spam is high: 200 means twice what spamd calls spam.
    SPAMASSASSIN_HIGH_FROM: Count = "spamassassin.high_from", "200";
    /// Weight added for a low probability of spam.
    SPAMASSASSIN_WEIGHT_LOW: Weight = "spamassassin.weight_low", "5";
    /// Weight added for a medium probability of spam.
    SPAMASSASSIN_WEIGHT_MEDIUM: Weight = "spamassassin.weight_medium", "10";
    /// Weight added for a high probability of spam. Below `filter.level_high` by default, so SpamAssassin alone takes a message to the medium level at most and another failing check is needed for the high one.
    SPAMASSASSIN_WEIGHT_HIGH: Weight = "spamassassin.weight_high", "15";

    // ---- anti-virus (FILTER-6) ----
    /// Scan every message with ClamAV's clamd (INSTREAM over TCP).
    ANTIVIRUS_CLAMAV_ENABLED: Bool = "antivirus.clamav_enabled", "false";
    /// clamd's TCP address, `HOST:PORT` (its `TCPSocket`/`TCPAddr`).
    ANTIVIRUS_CLAMAV_ADDRESS: Text = "antivirus.clamav_address", "127.0.0.1:3310";
    /// Seconds a scan by clamd may take (connect, send, answer); 0 counts as 1.
    ANTIVIRUS_CLAMAV_TIMEOUT: Seconds = "antivirus.clamav_timeout", "10";
    /// Consecutive failures (clamd down, slow or answering an error) after which clamd is left alone for 30 seconds, then connected to again (one more failure leaves it alone again): meanwhile messages are reported unscanned at once instead of each waiting for it. 0 = always try.
    ANTIVIRUS_CLAMAV_FAILURES_BEFORE_RECONNECT: Count = "antivirus.clamav_failures_before_reconnect", "5";
    /// Command-line scanner, empty = none: split at spaces (no shell), `%FILEPATH` replaced by a temporary file holding the message. Exit status 1 means a virus (the first line of its output names it; `PATH: NAME FOUND` as clamscan prints gives NAME), 0 clean, anything else no answer. Example: `clamscan --no-summary %FILEPATH`. The file is readable by Heron's own user only, so a scanner that passes the path to a daemon running as another user needs to send the contents instead (`clamdscan --stream`).
    ANTIVIRUS_COMMAND: Text = "antivirus.command", "";
    /// Seconds the command-line scanner may run before it is killed and the message reported unscanned; 0 counts as 1. `filter.check_timeout` bounds it too.
    ANTIVIRUS_COMMAND_TIMEOUT: Seconds = "antivirus.command_timeout", "10";
    /// Real-time (on-access) scanner, empty = none: a directory such a scanner watches (ClamAV's `clamonacc --move`, a vendor's real-time protection). Each message is written there as a new file readable by Heron's group; a file the scanner takes away (moves to its quarantine directory or deletes) within `antivirus.realtime_wait_ms` is a virus, one still there is clean. `filter.check_timeout` bounds the wait too.
    ANTIVIRUS_REALTIME_DIRECTORY: Text = "antivirus.realtime_directory", "";
    /// The real-time scanner's quarantine directory, if any: a message file found there is a virus even before it leaves the watched directory. Heron never changes what is in it.
    ANTIVIRUS_QUARANTINE_DIRECTORY: Text = "antivirus.quarantine_directory", "";
    /// Milliseconds a message file is left to the real-time scanner before it counts as clean.
    ANTIVIRUS_REALTIME_WAIT_MS: Count = "antivirus.realtime_wait_ms", "2000";
    /// What happens to a message a virus scanner flags: delete (accepted and dropped, logged), inform-sender (dropped, and the sender is told why), reject (refused at DATA with 554 5.7.1).
    ANTIVIRUS_ACTION: Choice(&["delete", "inform-sender", "reject"]) = "antivirus.action", "delete";

    // ---- logs (OPS-2) ----
    /// Log directory; relative paths are inside the data directory.
    LOG_DIR: Text = "log.dir", "logs";
    /// Days log files are kept; 0 = forever.
    LOG_RETENTION_DAYS: Count = "log.retention_days", "30";
    /// Delivery and spool log level: none, exceptions, normal, detailed.
    LOG_DELIVERY: Choice(crate::kinds::LEVELS) = "log.delivery", "detailed";
    /// SMTP log level.
    LOG_SMTP: Choice(crate::kinds::LEVELS) = "log.smtp", "normal";
    /// POP log level.
    LOG_POP: Choice(crate::kinds::LEVELS) = "log.pop", "exceptions";
    /// IMAP log level.
    LOG_IMAP: Choice(crate::kinds::LEVELS) = "log.imap", "exceptions";
    /// POP-retrieval log level (`pop-retrieval-DATE.log`: one line per fetch of an account, with what it fetched or why it failed).
    LOG_POP_RETRIEVAL: Choice(crate::kinds::LEVELS) = "log.pop_retrieval", "normal";
    /// Event log level (server start/stop, settings changes, administration).
    LOG_EVENTS: Choice(crate::kinds::LEVELS) = "log.events", "normal";

    // ---- greylisting (SEC-3, DOM-2) ----
    /// Greylist mail from other servers (unauthenticated SMTP) at RCPT TO: an unknown triplet of client network (IPv4 /24, IPv6 /64), envelope sender and recipient is deferred with 451 4.7.1 until it is retried after `greylist.block_seconds`. Exempt: whitelisted IPs (SEC-1), authenticated clients and the SMTP AUTH bypass list (SEC-6), `greylist.bypass`, senders a local user wrote to (for that user), domains and users with greylisting turned off.
    GREYLIST_ENABLED: Bool = "greylist.enabled", "false";
    /// Seconds a new triplet is deferred (the block period; 900 = 15 minutes).
    GREYLIST_BLOCK_SECONDS: Seconds = "greylist.block_seconds", "900";
    /// Seconds from a triplet's first attempt within which it must be retried after the block period to pass (the pass window; 21600 = 360 minutes); a triplet retried later starts anew. At least the block period.
    GREYLIST_PASS_SECONDS: Seconds = "greylist.pass_seconds", "21600";
    /// Days a passed triplet keeps passing at once, counted from its last pass (each pass renews it); also how long a local user's correspondent (a remote address the user wrote to) stays exempt for that user.
    GREYLIST_KEEP_DAYS: Count = "greylist.keep_days", "36";
    /// Users may turn greylisting off for their own mail (the user's greylisting switch applies); off, only the domain's switch does.
    GREYLIST_USER_OVERRIDE: Bool = "greylist.user_override", "true";
    /// Never greylisted: client IPs or networks (`192.0.2.0/24`, `2001:db8::/32`), and sender domains (`example.com`), which are exempt only when the sender passes SPF for the client.
    GREYLIST_BYPASS: List = "greylist.bypass", "";
    /// Greylist mail for domains this server takes for other servers (ROUTE-1 forwarded domains and ROUTE-2 backup MX: the manual's "greylisting to smart hosts"); off, only mail for hosted domains is greylisted.
    GREYLIST_FORWARDED_DOMAINS: Bool = "greylist.forwarded_domains", "false";

    // ---- message archiving (OPS-5) ----
    /// Which messages every domain keeps a compliance copy of, apart from the mailboxes: none, all, incoming (delivered to the domain's local mailboxes, archived once per message with its local recipients) or outgoing (submitted by the domain's authenticated users). A domain's own rule (`heron domain set --archive`) takes precedence. Users cannot delete archived copies; only `archive.retention_days` removes them. Search and export them with `heron archive` or the admin API and pages.
    ARCHIVE_RULE: Choice(&["none", "all", "incoming", "outgoing"]) = "archive.rule", "none";
    /// Days an archived message is kept, counted from when it was archived; older ones are removed hourly. 0 = forever.
    ARCHIVE_RETENTION_DAYS: Count = "archive.retention_days", "0";

    // ---- abuse detection (SEC-2, SEC-7) ----
    /// Failed logins (SMTP AUTH, IMAP, POP) from one client IP within `security.auth_ip_window` that block the IP from logging in, on every protocol and node, for `security.auth_ip_block` seconds; while blocked even the right password is answered as a wrong one. 0 = off.
    AUTH_IP_FAILURES: Count = "security.auth_ip_failures", "10";
    /// Seconds within which failed logins from one IP are counted.
    AUTH_IP_WINDOW: Seconds = "security.auth_ip_window", "600";
    /// Seconds an IP stays blocked from logging in (the Blocks page lifts a block sooner).
    AUTH_IP_BLOCK: Seconds = "security.auth_ip_block", "1800";
    /// Failed logins to one account (from any IPs) within `security.auth_account_window` that block logins to it for `security.auth_account_block` seconds, against attacks spread over many IPs; while blocked even the right password is answered as a wrong one. 0 = off.
    AUTH_ACCOUNT_FAILURES: Count = "security.auth_account_failures", "20";
    /// Seconds within which failed logins to one account are counted.
    AUTH_ACCOUNT_WINDOW: Seconds = "security.auth_account_window", "600";
    /// Seconds an account stays blocked from logging in.
    AUTH_ACCOUNT_BLOCK: Seconds = "security.auth_account_block", "900";
    /// Bad SMTP sessions (harvesting: a session that named at least one unknown recipient and delivered nothing) from one IP within `security.harvest_window` that block the IP from SMTP (refused at connect with 554) for `security.harvest_block` seconds. Authenticated sessions do not count. 0 = off.
    HARVEST_BAD_SESSIONS: Count = "security.harvest_bad_sessions", "0";
    /// Seconds within which bad SMTP sessions from one IP are counted.
    HARVEST_WINDOW: Seconds = "security.harvest_window", "600";
    /// Seconds an IP stays blocked from SMTP after harvesting.
    HARVEST_BLOCK: Seconds = "security.harvest_block", "3600";
    /// Denial of service: connections of one protocol from one IP within `security.dos_window` beyond which the IP is refused on that protocol at accept (as for too many connections from one IP) for `security.dos_block` seconds; counted in memory on each node; whitelisted IPs are exempt. 0 = off.
    DOS_CONNECTIONS: Count = "security.dos_connections", "0";
    /// Seconds within which connections from one IP are counted for `security.dos_connections`.
    DOS_WINDOW: Seconds = "security.dos_window", "60";
    /// Seconds an IP stays refused after a connection flood.
    DOS_BLOCK: Seconds = "security.dos_block", "600";
    /// Internal spammer detection: messages of one body size submitted by one account within `security.spammer_window` that count as a spam run (a mass mailing from a compromised account or script). The run is logged as an event and reported to `security.spammer_notify`; with `security.spammer_suspend` the account may not send for that long. Counted in the store, so every node counts together. 0 = off.
    SPAMMER_MESSAGES: Count = "security.spammer_messages", "0";
    /// Seconds within which messages of one size from one account are counted; one run is reported at most once per window.
    SPAMMER_WINDOW: Seconds = "security.spammer_window", "600";
    /// Address told of a spam run (a message from MAILER-DAEMON naming the account, the size and the count). Empty: `server.postmaster`; with neither, the run is only logged.
    SPAMMER_NOTIFY: Text = "security.spammer_notify", "";
    /// Seconds an account's sending is suspended after a spam run (its submissions are deferred with 451 4.7.1 and its queued mail waits; the Blocks page lifts it sooner). 0 = notify only.
    SPAMMER_SUSPEND: Seconds = "security.spammer_suspend", "0";

    // ---- POP retrieval (ACCESS-4) ----
    /// Fetch users' external POP3 accounts (their POP-retrieval accounts) into their mailboxes. Off: no account is fetched on schedule.
    POP_RETRIEVAL_ENABLED: Bool = "pop_retrieval.enabled", "true";
    /// Seconds between two fetches of one POP-retrieval account (each run is logged in the POP-retrieval log).
    POP_RETRIEVAL_INTERVAL: Seconds = "pop_retrieval.interval", "600";
    /// POP-retrieval accounts a node fetches at once.
    POP_RETRIEVAL_WORKERS: Count = "pop_retrieval.workers", "10";
    /// Largest message fetched from a POP-retrieval account, in MB; larger ones are left on the remote server and logged.
    POP_RETRIEVAL_MAX_MESSAGE_MB: Count = "pop_retrieval.max_message_mb", "30";
    /// Seconds a POP-retrieval fetch waits for each connection, read or write before giving up.
    POP_RETRIEVAL_TIMEOUT: Seconds = "pop_retrieval.timeout", "60";
    /// A PEM file of CA certificates a POP-retrieval account's server certificate may chain to, besides the public web roots, when the account checks certificates (a private or company certificate authority); read again when the value changes. Empty: the public roots only. A file that cannot be read fails the runs of checking accounts (logged), never falls back to no check.
    POP_RETRIEVAL_TLS_CA_FILE: Text = "pop_retrieval.tls_ca_file", "";

    // ---- folder auto-clean (OPS-6) ----
    /// Folder auto-clean rules for every user: entries `FOLDER age=DAYS` (messages that arrived more than DAYS days ago go), `FOLDER size=MB keep=MB` (past MB, the oldest messages go until at most keep MB are left) or `FOLDER off` (nothing goes). FOLDER is a name, or a special use such as \Trash or \Junk matching each user's folder of that use. Domains and users may have rules of their own in the same syntax (see `autoclean.domain_override`). Removals are logged (events). Empty: no cleaning.
    AUTOCLEAN_RULES: List = "autoclean.rules", "";
    /// Let domains override the server's auto-clean rules with their own: for each folder a domain's rules name, they replace the server's for its users; and let a domain's users do the same with theirs when the domain allows it (its `autoclean_user_override`). Off: the server's rules alone apply to every domain and user.
    AUTOCLEAN_DOMAIN_OVERRIDE: Bool = "autoclean.domain_override", "true";
    /// Let users' own auto-clean rules clean their INBOX (rules for other folders need only the override permissions). Off: a user's rules for INBOX are ignored.
    AUTOCLEAN_USER_INBOX: Bool = "autoclean.user_inbox", "false";
    /// Seconds between auto-clean runs (one node runs each, as the store's hold allows).
    AUTOCLEAN_INTERVAL: Seconds = "autoclean.interval", "3600";

    // ---- statistics (OPS-3) ----
    /// Seconds between writes of this node's statistics (messages and bytes in and out, spam and virus verdicts, bounces, logins per server, domain and user) to the store: counts are kept in memory and written as one batch of additions, and once more at a clean shutdown, so several nodes add up. A node killed without a clean stop loses the counts of at most this long.
    STATS_FLUSH_INTERVAL: Seconds = "stats.flush_interval", "60";
    /// Months the daily statistics are kept (a month counted as 31 days); the hourly statistics are kept 31 days. Older rows are removed hourly.
    STATS_RETENTION_MONTHS: Count = "stats.retention_months", "13";

    // ---- sending throttles (DOM-7) ----
    /// Throttle sending per domain and per user: authenticated submissions over the hourly message or MB limit of the sender or of its domain, and bounces (null-sender mail) for a domain or mailbox over its hourly bounce limit, are deferred with 451 4.7.0 until the hour is over. The counts are shared by every node.
    THROTTLE_ENABLED: Bool = "throttle.enabled", "false";
    /// Messages a domain's users may send per hour together, for domains without their own value (0 = unlimited).
    THROTTLE_MESSAGES_PER_HOUR: Count = "throttle.messages_per_hour", "5000";
    /// MB a domain's users may send per hour together, for domains without their own value (0 = unlimited).
    THROTTLE_MB_PER_HOUR: Count = "throttle.mb_per_hour", "100";
    /// Bounces (null-sender messages) a domain may receive per hour, for domains without their own value (0 = unlimited).
    THROTTLE_BOUNCES_PER_HOUR: Count = "throttle.bounces_per_hour", "1000";
    /// Messages each user may send per hour (0 = only the domain's limit applies).
    THROTTLE_USER_MESSAGES_PER_HOUR: Count = "throttle.user_messages_per_hour", "0";
    /// MB each user may send per hour (0 = only the domain's limit applies).
    THROTTLE_USER_MB_PER_HOUR: Count = "throttle.user_mb_per_hour", "0";
    /// Bounces each mailbox may receive per hour (0 = only the domain's limit applies).
    THROTTLE_USER_BOUNCES_PER_HOUR: Count = "throttle.user_bounces_per_hour", "0";
    /// Length in seconds of the throttle's counting window: the "hour" of the limits above. Meant to stay 3600; shorter only for tests.
    THROTTLE_WINDOW_SECONDS: Seconds = "throttle.window_seconds", "3600";
}

/// Look a definition up by key.
pub fn find(key: &str) -> Option<&'static crate::kinds::Def> {
    DEFS.iter().find(|d| d.key == key)
}
