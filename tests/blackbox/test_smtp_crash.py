"""SIGKILL during concurrent SMTP deliveries: every acknowledged message survives."""

from conftest import USER, fetch_all, header_values, send_until_killed, strip_trace

THREADS = 8
PER_THREAD = 200
KILL_AFTER = 300


def message(ident):
    lines = [f"line {n} of message {ident}: " + "lorem ipsum " * 8 for n in range(20)]
    return (f"From: load@remote.test\r\nTo: {USER}\r\nSubject: {ident}\r\n"
            f"Message-ID: <{ident}@blackbox.test>\r\n\r\n" + "\r\n".join(lines) + "\r\n").encode()


def test_sigkill_under_load_loses_no_acknowledged_message(smtp_server):
    acked_now, attempted_now, errors = send_until_killed(
        smtp_server, message, THREADS, PER_THREAD, KILL_AFTER)
    assert len(acked_now) >= KILL_AFTER, (len(acked_now), errors[:5])

    smtp_server.start()
    arrived = fetch_all(smtp_server)
    subjects = []
    for msg in arrived:
        (subject,) = header_values(msg, "Subject")
        ident = subject.decode()
        subjects.append(ident)
        assert ident in attempted_now, ident
        # Whatever arrived is whole.
        assert strip_trace(msg) == message(ident), ident
    found = set(subjects)
    missing = sorted(acked_now - found)
    extra = found - acked_now
    print(f"acknowledged {len(acked_now)}, attempted {len(attempted_now)}, "
          f"arrived {len(found)}, arrived without acknowledgement {len(extra)}, "
          f"sender errors {len(errors)}")
    assert not missing, f"{len(missing)} acknowledged messages lost: {missing[:20]}"
    assert len(subjects) == len(found), "a message was delivered twice"
