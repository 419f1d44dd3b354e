"""Sub-addressing (RFC 5233): mail to user+tag@domain reaches user@domain, in the folder `tag`
when the user has one, and the settings `address.subaddress_separators` and
`address.subaddress_folders` change that on a running server."""

import smtplib

import pytest

from conftest import (OTHER, OTHER_PASSWORD, USER, imap_client, smtp_client, smtp_settle,
                      strip_trace)

SENDER = "sender@remote.test"
LOCAL, DOMAIN = USER.split("@")


def send(server, rcpt, subject):
    msg = f"From: {SENDER}\r\nSubject: {subject}\r\n\r\nbody of {subject}\r\n".encode()
    s = smtp_client(server)
    try:
        assert s.sendmail(SENDER, [rcpt], msg) == {}
    finally:
        s.quit()
    return msg


def folder_messages(server, folder, user=USER, password=None):
    """Every message in `folder`, over IMAP."""
    m = imap_client(server, **({} if password is None else {"user": user, "password": password}))
    try:
        typ, _ = m.select(f'"{folder}"', readonly=True)
        assert typ == "OK", folder
        typ, data = m.uid("SEARCH", None, "ALL")
        out = []
        for uid in data[0].split():
            typ, got = m.uid("FETCH", uid, "(BODY.PEEK[])")
            out.append(got[0][1])
        return out
    finally:
        m.logout()


def refused(server, rcpt):
    s = smtp_client(server)
    try:
        s.mail(SENDER)
        code, text = s.rcpt(rcpt)
        return code, text
    finally:
        s.quit()


def test_tag_goes_to_the_folder_of_that_name(smtp_server):
    m = imap_client(smtp_server)
    assert m.create("Projects")[0] == "OK"
    m.logout()
    # The tag is matched to the folder without regard to case.
    sent = send(smtp_server, f"{LOCAL}+projects@{DOMAIN}", "tagged")
    other = send(smtp_server, f"{LOCAL}+nosuchfolder@{DOMAIN}", "unknown tag")
    # Drafts (and Sent) are never a sub-address's folder: no forged drafts from outside.
    draft = send(smtp_server, f"{LOCAL}+drafts@{DOMAIN}", "not a draft")
    plain = send(smtp_server, USER, "plain")
    projects = folder_messages(smtp_server, "Projects")
    assert [strip_trace(x) for x in projects] == [sent]
    assert folder_messages(smtp_server, "Drafts") == []
    inbox = [strip_trace(x) for x in folder_messages(smtp_server, "INBOX")]
    assert inbox == [other, draft, plain]


def test_an_address_that_exists_as_written_is_not_split(smtp_server):
    smtp_server.add_user(OTHER, OTHER_PASSWORD)
    smtp_server.cli("alias", "add", f"{LOCAL}+boss@{DOMAIN}", OTHER)
    sent = send(smtp_server, f"{LOCAL}+boss@{DOMAIN}", "to the alias")
    got = folder_messages(smtp_server, "INBOX", OTHER, OTHER_PASSWORD)
    assert [strip_trace(x) for x in got] == [sent]
    assert folder_messages(smtp_server, "INBOX") == []


def test_an_alias_can_be_sub_addressed(smtp_server):
    smtp_server.add_user(OTHER, OTHER_PASSWORD)
    smtp_server.cli("alias", "add", f"team@{DOMAIN}", OTHER)
    sent = send(smtp_server, f"team+news@{DOMAIN}", "to the team")
    got = folder_messages(smtp_server, "INBOX", OTHER, OTHER_PASSWORD)
    assert [strip_trace(x) for x in got] == [sent]


def test_unknown_user_with_a_tag_is_refused(smtp_server):
    code, text = refused(smtp_server, f"nobody+x@{DOMAIN}")
    assert code == 550, text
    # A separator first is not a sub-address.
    code, text = refused(smtp_server, f"+{LOCAL}@{DOMAIN}")
    assert code == 550, text


def test_settings_change_separator_and_folders(smtp_server):
    m = imap_client(smtp_server)
    assert m.create("Lists")[0] == "OK"
    m.logout()

    smtp_server.set("address.subaddress_folders", "false")
    smtp_settle(smtp_server)
    into_inbox = send(smtp_server, f"{LOCAL}+lists@{DOMAIN}", "folders off")
    assert [strip_trace(x) for x in folder_messages(smtp_server, "INBOX")] == [into_inbox]
    assert folder_messages(smtp_server, "Lists") == []

    smtp_server.set("address.subaddress_folders", "true")
    smtp_server.set("address.subaddress_separators", "-")
    smtp_settle(smtp_server)
    code, text = refused(smtp_server, f"{LOCAL}+lists@{DOMAIN}")
    assert code == 550, text
    dashed = send(smtp_server, f"{LOCAL}-lists@{DOMAIN}", "dash separator")
    assert [strip_trace(x) for x in folder_messages(smtp_server, "Lists")] == [dashed]

    smtp_server.set("address.subaddress_separators", "")
    smtp_settle(smtp_server)
    code, text = refused(smtp_server, f"{LOCAL}-lists@{DOMAIN}")
    assert code == 550, text
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(smtp_server, f"{LOCAL}+lists@{DOMAIN}", "off")
