"""SIGKILL during concurrent SMTP deliveries: every acknowledged message survives."""

import smtplib
import threading
import time

from conftest import USER, fetch_all, header_values, smtp_client, strip_trace

THREADS = 8
PER_THREAD = 200
KILL_AFTER = 300


def message(ident):
    lines = [f"line {n} of message {ident}: " + "lorem ipsum " * 8 for n in range(20)]
    return (f"From: load@remote.test\r\nTo: {USER}\r\nSubject: {ident}\r\n"
            f"Message-ID: <{ident}@blackbox.test>\r\n\r\n" + "\r\n".join(lines) + "\r\n").encode()


def test_sigkill_under_load_loses_no_acknowledged_message(smtp_server):
    acked, attempted, errors = set(), set(), []
    lock = threading.Lock()

    def sender(t):
        s = None
        try:
            s = smtp_client(smtp_server, timeout=30)
            for n in range(PER_THREAD):
                ident = f"crash-{t}-{n}"
                with lock:
                    attempted.add(ident)
                s.sendmail("load@remote.test", [USER], message(ident))
                with lock:
                    acked.add(ident)
        except (smtplib.SMTPException, OSError) as e:
            with lock:
                errors.append(repr(e))
        finally:
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass

    threads = [threading.Thread(target=sender, args=(t,), daemon=True) for t in range(THREADS)]
    for th in threads:
        th.start()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        with lock:
            if len(acked) >= KILL_AFTER:
                break
        if not any(th.is_alive() for th in threads):
            break
        time.sleep(0.05)
    smtp_server.proc.kill()
    smtp_server.proc.wait(30)
    for th in threads:
        th.join(60)
    assert not any(th.is_alive() for th in threads), "sender threads did not stop"
    with lock:
        acked_now, attempted_now = set(acked), set(attempted)
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
