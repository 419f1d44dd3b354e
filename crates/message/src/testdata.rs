//! Sample messages shared by the unit tests of this crate and, through the `testdata`
//! feature, of the crates built on it (IMAP). Not part of the API.
//!
//! Invariant: the samples never change meaning; tests in several crates assert on them.

/// A plain single-part message.
pub const SIMPLE: &[u8] = b"From: Alice Example <alice@example.test>\r\n\
To: bob@example.test, \"Carol C.\" <carol@example.test>\r\n\
Subject: Hello there\r\n\
Date: Mon, 01 Jan 2024 10:00:00 +0100\r\n\
Message-ID: <simple.1@example.test>\r\n\
\r\n\
Hi Bob,\r\n\
this is the body.\r\n";

/// multipart/mixed with text, an HTML alternative and an attached message.
pub const MULTI: &[u8] = b"From: =?utf-8?q?J=C3=BCrgen?= <j@example.test>\r\n\
To: team@example.test\r\n\
Cc: x@example.test\r\n\
Subject: =?utf-8?b?R3LDvMOfZQ==?= report\r\n\
Date: Tue, 02 Jan 2024 08:30:00 +0000\r\n\
Message-ID: <multi.2@example.test>\r\n\
In-Reply-To: <simple.1@example.test>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"outer\"\r\n\
\r\n\
This is the preamble.\r\n\
--outer\r\n\
Content-Type: multipart/alternative; boundary=inner\r\n\
\r\n\
--inner\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
Sch=C3=B6ne Gr=C3=BC=C3=9Fe\r\n\
second line\r\n\
--inner\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<p>Sch\xc3\xb6ne Gr\xc3\xbc\xc3\x9fe</p>\r\n\
--inner--\r\n\
--outer\r\n\
Content-Type: application/octet-stream; name=\"data.bin\"\r\n\
Content-Transfer-Encoding: base64\r\n\
Content-Disposition: attachment; filename=\"data.bin\"\r\n\
Content-ID: <part3@example.test>\r\n\
\r\n\
AAECAwQFBgc=\r\n\
--outer\r\n\
Content-Type: message/rfc822\r\n\
\r\n\
From: inner@example.test\r\n\
Subject: Inner message\r\n\
Content-Type: multipart/mixed; boundary=deep\r\n\
\r\n\
--deep\r\n\
\r\n\
deep text\r\n\
--deep\r\n\
Content-Type: image/png\r\n\
\r\n\
PNGDATA\r\n\
--deep--\r\n\
--outer--\r\n\
epilogue\r\n";
