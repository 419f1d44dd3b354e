//! ESMTP parameters of MAIL and RCPT: every supported one, and the
//! invalid, duplicate and unsupported ones.

use heron_proto_smtp::{
    Body, Command, MailParams, Notify, ParseError, RcptParams, Ret, parse_command,
};

fn mail(params: &str) -> Result<MailParams, ParseError> {
    match parse_command(format!("MAIL FROM:<a@b.example> {params}").as_bytes())? {
        Command::Mail { params, .. } => Ok(params),
        other => panic!("unexpected {other:?}"),
    }
}

fn rcpt(params: &str) -> Result<RcptParams, ParseError> {
    match parse_command(format!("RCPT TO:<a@b.example> {params}").as_bytes())? {
        Command::Rcpt { params, .. } => Ok(params),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn mail_parameters() {
    let none = MailParams::default();
    let cases: Vec<(&str, MailParams)> = vec![
        ("", none.clone()),
        (
            "SIZE=0",
            MailParams {
                size: Some(0),
                ..none.clone()
            },
        ),
        (
            "SIZE=31457280",
            MailParams {
                size: Some(31_457_280),
                ..none.clone()
            },
        ),
        (
            "size=12",
            MailParams {
                size: Some(12),
                ..none.clone()
            },
        ),
        (
            "BODY=7BIT",
            MailParams {
                body: Some(Body::SevenBit),
                ..none.clone()
            },
        ),
        (
            "BODY=8BITMIME",
            MailParams {
                body: Some(Body::EightBitMime),
                ..none.clone()
            },
        ),
        (
            "body=binarymime",
            MailParams {
                body: Some(Body::BinaryMime),
                ..none.clone()
            },
        ),
        (
            "SMTPUTF8",
            MailParams {
                smtputf8: true,
                ..none.clone()
            },
        ),
        (
            "RET=FULL",
            MailParams {
                ret: Some(Ret::Full),
                ..none.clone()
            },
        ),
        (
            "RET=hdrs",
            MailParams {
                ret: Some(Ret::Hdrs),
                ..none.clone()
            },
        ),
        (
            "ENVID=QQ314159",
            MailParams {
                envid: Some("QQ314159".into()),
                ..none.clone()
            },
        ),
        (
            "ENVID=a+2Bb",
            MailParams {
                envid: Some("a+b".into()),
                ..none.clone()
            },
        ),
        (
            "AUTH=<>",
            MailParams {
                auth: Some("<>".into()),
                ..none.clone()
            },
        ),
        (
            "AUTH=e+3Dmc2@example.com",
            MailParams {
                auth: Some("e=mc2@example.com".into()),
                ..none.clone()
            },
        ),
        (
            "SIZE=1000 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=id1 AUTH=<> REQUIRETLS",
            MailParams {
                size: Some(1000),
                body: Some(Body::EightBitMime),
                smtputf8: true,
                ret: Some(Ret::Hdrs),
                envid: Some("id1".into()),
                auth: Some("<>".into()),
                requiretls: true,
            },
        ),
        (
            "  SIZE=5   SMTPUTF8  ",
            MailParams {
                size: Some(5),
                smtputf8: true,
                ..none.clone()
            },
        ),
    ];
    for (params, expected) in cases {
        assert_eq!(mail(params), Ok(expected), "{params:?}");
    }
}

#[test]
fn rcpt_parameters() {
    let none = RcptParams::default();
    let notify = |list: &[Notify]| RcptParams {
        notify: Some(list.to_vec()),
        ..none.clone()
    };
    let cases: Vec<(&str, RcptParams)> = vec![
        ("", none.clone()),
        ("NOTIFY=NEVER", notify(&[Notify::Never])),
        ("NOTIFY=SUCCESS", notify(&[Notify::Success])),
        (
            "notify=failure,delay",
            notify(&[Notify::Failure, Notify::Delay]),
        ),
        (
            "NOTIFY=DELAY,SUCCESS,FAILURE",
            notify(&[Notify::Success, Notify::Failure, Notify::Delay]),
        ),
        (
            "ORCPT=rfc822;bob@example.org",
            RcptParams {
                orcpt: Some("bob@example.org".into()),
                ..none.clone()
            },
        ),
        (
            "ORCPT=RFC822;b+2Bob@example.org NOTIFY=FAILURE",
            RcptParams {
                notify: Some(vec![Notify::Failure]),
                orcpt: Some("b+ob@example.org".into()),
            },
        ),
    ];
    for (params, expected) in cases {
        assert_eq!(rcpt(params), Ok(expected), "{params:?}");
    }
}

#[test]
fn invalid_mail_parameters() {
    use ParseError::*;
    let syntax = Syntax("MAIL FROM:<address> [parameters]");
    let cases: Vec<(&str, ParseError)> = vec![
        ("SIZE", InvalidParameter("SIZE")),
        ("SIZE=", InvalidParameter("SIZE")),
        ("SIZE=abc", InvalidParameter("SIZE")),
        ("SIZE=-1", InvalidParameter("SIZE")),
        ("SIZE=99999999999999999999999", InvalidParameter("SIZE")),
        ("BODY=9BIT", InvalidParameter("BODY")),
        ("BODY", InvalidParameter("BODY")),
        ("SMTPUTF8=yes", InvalidParameter("SMTPUTF8")),
        ("RET=ALL", InvalidParameter("RET")),
        ("ENVID=a=b", InvalidParameter("ENVID")),
        ("ENVID=a+zz", InvalidParameter("ENVID")),
        ("ENVID=a+0", InvalidParameter("ENVID")),
        ("ENVID=a+0A", InvalidParameter("ENVID")),
        ("ENVID=a+00", InvalidParameter("ENVID")),
        ("AUTH=", InvalidParameter("AUTH")),
        ("AUTH=x+0D+0Ay", InvalidParameter("AUTH")),
        ("SIZE=1 SIZE=2", DuplicateParameter("SIZE".into())),
        ("smtputf8 SMTPUTF8", DuplicateParameter("SMTPUTF8".into())),
        ("=1", syntax.clone()),
        ("-SIZE=1", syntax.clone()),
        (">", syntax.clone()),
        ("SI_ZE=1", syntax.clone()),
    ];
    for (params, expected) in cases {
        assert_eq!(mail(params), Err(expected), "{params:?}");
    }
}

#[test]
fn unsupported_parameters_get_555() {
    use ParseError::UnsupportedParameter;
    let cases = [
        ("BY=120;R", "BY"),
        ("HOLDFOR=10", "HOLDFOR"),
        ("MT-PRIORITY=3", "MT-PRIORITY"),
        ("TRANSID=<x@y>", "TRANSID"),
        ("X-CUSTOM=1", "X-CUSTOM"),
        ("xyzzy", "XYZZY"),
        ("NOTIFY=NEVER", "NOTIFY"),
    ];
    for (params, keyword) in cases {
        let error = mail(params).expect_err(params);
        assert_eq!(error, UnsupportedParameter(keyword.into()), "{params}");
        assert_eq!(error.reply().code, 555);
    }
    assert_eq!(rcpt("SIZE=1"), Err(UnsupportedParameter("SIZE".into())));
    assert_eq!(
        rcpt("RRVS=2030-01-01T00:00:00Z"),
        Err(UnsupportedParameter("RRVS".into()))
    );
    let long = "K".repeat(100);
    let Err(UnsupportedParameter(echo)) = mail(&long) else {
        panic!("expected unsupported");
    };
    assert_eq!(echo.len(), 40);
}

#[test]
fn invalid_rcpt_parameters() {
    use ParseError::*;
    let cases: Vec<(&str, ParseError)> = vec![
        ("NOTIFY=", InvalidParameter("NOTIFY")),
        ("NOTIFY=SOMETIMES", InvalidParameter("NOTIFY")),
        ("NOTIFY=NEVER,SUCCESS", InvalidParameter("NOTIFY")),
        ("NOTIFY=SUCCESS,NEVER", InvalidParameter("NOTIFY")),
        ("NOTIFY=SUCCESS,", InvalidParameter("NOTIFY")),
        ("ORCPT=bob@example.org", InvalidParameter("ORCPT")),
        ("ORCPT=x400;bob", InvalidParameter("ORCPT")),
        ("ORCPT=rfc822;", InvalidParameter("ORCPT")),
        ("ORCPT=rfc822;a+0Ab", InvalidParameter("ORCPT")),
        (
            "NOTIFY=DELAY NOTIFY=DELAY",
            DuplicateParameter("NOTIFY".into()),
        ),
    ];
    for (params, expected) in cases {
        assert_eq!(rcpt(params), Err(expected), "{params:?}");
    }
}

#[test]
fn parameter_error_replies() {
    let invalid = mail("SIZE=x").expect_err("invalid");
    assert_eq!(
        (invalid.reply().code, invalid.reply().enhanced),
        (501, Some((5, 5, 4)))
    );
    let duplicate = mail("SIZE=1 SIZE=1").expect_err("duplicate");
    assert_eq!(duplicate.reply().code, 501);
}
