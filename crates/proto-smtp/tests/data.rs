//! DATA reader: dot-unstuffing, terminator detection across feeds, size
//! limit without growth, bare LF/CR, pipelined bytes; BDAT chunks.

use heron_proto_smtp::{BareNewline, ChunkReader, DataError, DataReader, Feed};

/// Feeds `input` in one go; returns the result and the octets consumed.
fn read_all(input: &[u8], max: usize) -> (Result<Vec<u8>, DataError>, Option<usize>) {
    let mut reader = DataReader::new(max);
    let consumed = match reader.feed(input) {
        Feed::Done { consumed } => Some(consumed),
        Feed::NeedMore => None,
    };
    (reader.finish(), consumed)
}

/// Input, and the body or error `finish` returns.
type Case = (&'static [u8], Result<&'static [u8], DataError>);

#[test]
fn unstuffing_and_termination_table() {
    let cases: &[Case] = &[
        (b".\r\n", Ok(b"")),
        (
            b"Subject: x\r\n\r\nbody\r\n.\r\n",
            Ok(b"Subject: x\r\n\r\nbody\r\n"),
        ),
        (b"..\r\n.\r\n", Ok(b".\r\n")),
        (b"...\r\n.\r\n", Ok(b"..\r\n")),
        (b"..leading\r\n.\r\n", Ok(b".leading\r\n")),
        (b"a\r\n..b\r\n.\r\n", Ok(b"a\r\n.b\r\n")),
        (b"mid.dle\r\n.\r\n", Ok(b"mid.dle\r\n")),
        (b"a\r\n. \r\n.\r\n", Ok(b"a\r\n \r\n")),
        (b"no final newline.\r\n.\r\n", Ok(b"no final newline.\r\n")),
        (b"\r\n.\r\n", Ok(b"\r\n")),
        (b"x\r\n\r\n.\r\n", Ok(b"x\r\n\r\n")),
        (b"bare\nlf\r\n.\r\n", Err(DataError::BareLf)),
        (b"bare\rcr\r\n.\r\n", Err(DataError::BareCr)),
        (b"a\r\n.\rb\r\n.\r\n", Err(DataError::BareCr)),
        (b"a\r\n.\n.\r\n", Err(DataError::Incomplete)),
        (b"a\r\n.\n.\r\n.\r\n", Err(DataError::BareLf)),
        (b"end\r\n", Err(DataError::Incomplete)),
        (b"", Err(DataError::Incomplete)),
    ];
    for (input, expected) in cases {
        let (got, _) = read_all(input, 1 << 20);
        assert_eq!(
            got.as_deref().map_err(Clone::clone),
            expected.clone(),
            "input {:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn smuggling_forms_do_not_terminate() {
    // Each of these would end the message for a lax reader; here the
    // message goes on and the real terminator comes later.
    for fake in [
        &b"a\n.\nMAIL FROM:<x@y>\r\n"[..],
        b"a\n.\r\nMAIL FROM:<x@y>\r\n",
        b"a\r\n.\nMAIL FROM:<x@y>\r\n",
        b"a\r.\r\nMAIL FROM:<x@y>\r\n",
        b"a\r\n.\r.\r\n",
    ] {
        let mut input = fake.to_vec();
        input.extend_from_slice(b"tail\r\n.\r\n");
        let mut reader = DataReader::new(1 << 20);
        assert_eq!(
            reader.feed(&input),
            Feed::Done {
                consumed: input.len()
            },
            "{:?}",
            String::from_utf8_lossy(fake)
        );
        assert!(reader.saw_bare_lf() || reader.saw_bare_cr());
        assert!(reader.finish().is_err());
    }
}

#[test]
fn terminator_split_across_every_boundary() {
    let input = b"Subject: t\r\n\r\n..dot\r\nline\r\n.\r\nQUIT\r\n";
    let message_len = input.len() - b"QUIT\r\n".len();
    for split in 0..=input.len() {
        let (first, second) = input.split_at(split);
        let mut reader = DataReader::new(1024);
        let consumed = match reader.feed(first) {
            Feed::Done { consumed } => consumed,
            Feed::NeedMore => match reader.feed(second) {
                Feed::Done { consumed } => first.len() + consumed,
                Feed::NeedMore => panic!("split {split}: no terminator"),
            },
        };
        assert_eq!(consumed, message_len, "split {split}");
        assert_eq!(
            reader.finish().as_deref(),
            Ok(&b"Subject: t\r\n\r\n.dot\r\nline\r\n"[..]),
            "split {split}"
        );
    }
}

#[test]
fn byte_at_a_time() {
    let input = b"..a\r\n\r\n.\r";
    let mut reader = DataReader::new(64);
    for &b in input {
        assert_eq!(reader.feed(&[b]), Feed::NeedMore);
    }
    assert_eq!(reader.feed(b"\nNOOP\r\n"), Feed::Done { consumed: 1 });
    assert_eq!(reader.feed(b"more"), Feed::Done { consumed: 0 });
    assert!(reader.is_done());
    assert_eq!(reader.finish().as_deref(), Ok(&b".a\r\n\r\n"[..]));
}

#[test]
fn pipelined_bytes_after_terminator_are_left() {
    let input = b"hello\r\n.\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n";
    let (body, consumed) = read_all(input, 100);
    assert_eq!(consumed, Some(10));
    assert_eq!(&input[10..], b"MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n");
    assert_eq!(body.as_deref(), Ok(&b"hello\r\n"[..]));
}

#[test]
fn size_limit_exact_and_over() {
    // Exactly max_size octets is accepted; one more is not.
    assert_eq!(
        read_all(b"abc\r\n.\r\n", 5).0.as_deref(),
        Ok(&b"abc\r\n"[..])
    );
    assert_eq!(
        read_all(b"abcd\r\n.\r\n", 5).0,
        Err(DataError::TooBig { size: 6 })
    );
    assert_eq!(read_all(b".\r\n", 0).0.as_deref(), Ok(&b""[..]));
}

#[test]
fn forty_megabytes_against_thirty_without_growth() {
    const MAX: usize = 30 * 1024 * 1024;
    const LINE: usize = 1000;
    let mut line = vec![b'x'; LINE - 2];
    line.extend_from_slice(b"\r\n");
    let chunk: Vec<u8> = line.iter().copied().cycle().take(64 * LINE).collect();
    let mut reader = DataReader::new(MAX);
    let mut fed = 0usize;
    let mut peak = 0usize;
    while fed < 40 * 1024 * 1024 {
        assert_eq!(reader.feed(&chunk), Feed::NeedMore);
        fed += chunk.len();
        peak = peak.max(reader.capacity());
        assert!(reader.buffered() <= MAX);
        assert!(
            reader.capacity() <= MAX + LINE,
            "capacity {}",
            reader.capacity()
        );
    }
    assert!(reader.is_too_big());
    assert_eq!(reader.capacity(), 0, "buffer released past the limit");
    assert!(peak <= MAX);
    assert_eq!(reader.feed(b".\r\n"), Feed::Done { consumed: 3 });
    assert_eq!(reader.size(), fed as u64);
    let error = reader.finish().expect_err("too big");
    assert_eq!(error, DataError::TooBig { size: fed as u64 });
    assert_eq!(error.reply().code, 552);
}

#[test]
fn normalise_policy_converts_bare_newlines() {
    let mut reader = DataReader::with_policy(100, BareNewline::Normalise);
    assert_eq!(
        reader.feed(b"a\nb\rc\r\n.\n.\r\n.\r\n"),
        Feed::Done { consumed: 15 }
    );
    assert!(reader.saw_bare_lf() && reader.saw_bare_cr());
    // The dot after the converted LF is not a line start: kept as sent.
    assert_eq!(
        reader.finish().as_deref(),
        Ok(&b"a\r\nb\r\nc\r\n\r\n.\r\n"[..])
    );
}

#[test]
fn data_error_replies() {
    assert_eq!(DataError::BareLf.reply().enhanced, Some((5, 6, 11)));
    assert_eq!(DataError::BareCr.reply().code, 550);
    assert_eq!(
        DataError::TooBig { size: 1 }.reply().enhanced,
        Some((5, 3, 4))
    );
    assert_eq!(DataError::Incomplete.reply().code, 451);
}

#[test]
fn bdat_chunks_accumulate() {
    let mut reader = ChunkReader::new(10);
    assert!(reader.begin_chunk(4, false));
    assert_eq!(reader.feed(b"abcdBDAT"), 4);
    assert!(reader.chunk_complete());
    assert!(!reader.is_complete());
    assert!(reader.begin_chunk(3, true));
    assert!(!reader.begin_chunk(1, false), "chunk in progress");
    assert_eq!(reader.feed(b"ef"), 2);
    assert_eq!(reader.remaining(), 1);
    assert_eq!(reader.feed(b"gNOOP"), 1);
    assert!(reader.is_complete());
    assert!(!reader.begin_chunk(1, false), "after LAST");
    assert_eq!(reader.total(), 7);
    assert_eq!(reader.finish().as_deref(), Ok(&b"abcdefg"[..]));
}

#[test]
fn bdat_is_binary_and_bounded() {
    let mut reader = ChunkReader::new(8);
    assert!(reader.begin_chunk(5, false));
    assert_eq!(reader.feed(b"\r\n.\r\n"), 5);
    assert!(reader.begin_chunk(6, true));
    assert!(reader.will_exceed());
    assert_eq!(reader.feed(b"\n\n\0\xff\r."), 6);
    assert!(reader.is_too_big());
    assert!(reader.capacity() <= 8);
    assert_eq!(reader.finish(), Err(DataError::TooBig { size: 11 }));

    let mut empty = ChunkReader::new(8);
    assert!(empty.begin_chunk(0, true));
    assert_eq!(empty.finish().as_deref(), Ok(&b""[..]));
    assert_eq!(ChunkReader::new(8).finish(), Err(DataError::Incomplete));

    let mut huge = ChunkReader::new(1024);
    assert!(huge.begin_chunk(u64::MAX, true));
    let megabyte = vec![0u8; 1 << 20];
    assert_eq!(huge.feed(&megabyte), megabyte.len());
    assert!(huge.is_too_big() && huge.capacity() == 0);
}
