//! Table tests of the ACL command parser, the rights letters and the responses.

use super::*;

fn ok(line: &str) -> AclCommand {
    let bytes = format!("{line}\r\n");
    match parse(bytes.as_bytes()) {
        Some(Ok(r)) => r.command,
        other => panic!("{line}: {other:?}"),
    }
}

fn err(line: &str) -> (Option<String>, &'static str) {
    let bytes = format!("{line}\r\n");
    match parse(bytes.as_bytes()) {
        Some(Err(e)) => (e.tag.map(|t| t.as_ref().to_owned()), e.reason),
        other => panic!("{line}: {other:?}"),
    }
}

#[test]
fn commands() {
    let table: &[(&str, AclCommand)] = &[
        (
            "a SETACL INBOX bob@x.test +lr",
            AclCommand::SetAcl {
                mailbox: b"INBOX".to_vec(),
                identifier: "bob@x.test".into(),
                rights: "+lr".into(),
            },
        ),
        (
            "a setacl \"Team Work\" anyone \"\"",
            AclCommand::SetAcl {
                mailbox: b"Team Work".to_vec(),
                identifier: "anyone".into(),
                rights: "".into(),
            },
        ),
        (
            "a SETACL {4}\r\nA\"B\\ bob -w",
            AclCommand::SetAcl {
                mailbox: b"A\"B\\".to_vec(),
                identifier: "bob".into(),
                rights: "-w".into(),
            },
        ),
        (
            "b DeleteAcl \"a \\\"q\\\"\" bob",
            AclCommand::DeleteAcl {
                mailbox: b"a \"q\"".to_vec(),
                identifier: "bob".into(),
            },
        ),
        (
            "c GETACL Other/x",
            AclCommand::GetAcl {
                mailbox: b"Other/x".to_vec(),
            },
        ),
        (
            "d LISTRIGHTS INBOX anyone",
            AclCommand::ListRights {
                mailbox: b"INBOX".to_vec(),
                identifier: "anyone".into(),
            },
        ),
        (
            "e MYRIGHTS &AMk-t&AOk-",
            AclCommand::MyRights {
                mailbox: b"&AMk-t&AOk-".to_vec(),
            },
        ),
    ];
    for (line, want) in table {
        assert_eq!(&ok(line), want, "{line}");
    }
}

#[test]
fn other_commands_are_not_taken() {
    for line in [
        "a SELECT INBOX",
        "a NOOP",
        "a",
        "",
        "a (SETACL)",
        "a GETACLX INBOX",
    ] {
        assert!(parse(format!("{line}\r\n").as_bytes()).is_none(), "{line}");
    }
}

#[test]
fn bad_commands_keep_their_tag() {
    let table: &[(&str, &str)] = &[
        ("t1 SETACL INBOX bob", "wrong number of arguments"),
        ("t2 GETACL", "wrong number of arguments"),
        ("t3 MYRIGHTS INBOX extra", "wrong number of arguments"),
        ("t4 GETACL (INBOX)", "expected a string argument"),
        ("t5 GETACL \"open", "expected a string argument"),
        ("t6 DELETEACL INBOX a%b", "expected a string argument"),
    ];
    for (line, why) in table {
        let (tag, reason) = err(line);
        assert_eq!(tag.as_deref(), line.split(' ').next(), "{line}");
        assert_eq!(reason, *why, "{line}");
    }
    assert_eq!(err("* GETACL INBOX"), (None, "bad tag"));
}

#[test]
fn rights_letters() {
    let table: &[(&str, Change, &str)] = &[
        ("lr", Change::Replace, "lr"),
        ("rl", Change::Replace, "lr"),
        ("+sw", Change::Add, "sw"),
        ("-a", Change::Remove, "a"),
        ("", Change::Replace, ""),
        ("c", Change::Replace, "k"),
        ("d", Change::Replace, "xte"),
        ("lrswipkxtea", Change::Replace, ALL_RIGHTS),
        ("llrr", Change::Replace, "lr"),
    ];
    for (arg, change, letters) in table {
        assert_eq!(
            parse_change(arg),
            Ok((*change, (*letters).to_owned())),
            "{arg}"
        );
    }
    assert_eq!(parse_change("lrz"), Err(UnknownRight('z')));
    assert_eq!(parse_change("1"), Err(UnknownRight('1')));
}

#[test]
fn applying_changes() {
    assert_eq!(apply("lr", Change::Add, "sw"), "lrsw");
    assert_eq!(apply("lrsw", Change::Remove, "rw"), "ls");
    assert_eq!(apply("lrsw", Change::Replace, "i"), "i");
    assert_eq!(apply("", Change::Remove, "l"), "");
}

#[test]
fn shown_rights_add_obsolete_letters() {
    assert_eq!(shown("lr"), "lr");
    assert_eq!(shown("lrk"), "lrkc");
    assert_eq!(shown("lrt"), "lrtd");
    assert_eq!(shown(ALL_RIGHTS), "lrswipkxteacd");
}

#[test]
fn responses() {
    let entries = vec![
        ("alice@x.test".to_string(), ALL_RIGHTS.to_string()),
        ("bob@x.test".to_string(), "lr".to_string()),
    ];
    assert_eq!(
        acl_response("Team Work", &entries),
        b"* ACL \"Team Work\" alice@x.test lrswipkxteacd bob@x.test lr\r\n"
    );
    assert_eq!(acl_response("INBOX", &[]), b"* ACL INBOX\r\n");
    assert_eq!(
        listrights_response("INBOX", "bob", "", &["l", "r"]),
        b"* LISTRIGHTS INBOX bob \"\" l r\r\n"
    );
    assert_eq!(
        myrights_response("a\"b", ""),
        b"* MYRIGHTS \"a\\\"b\" \"\"\r\n"
    );
    assert_eq!(astring_wire("a\r\nb"), "{4}\r\na\r\nb");
}
