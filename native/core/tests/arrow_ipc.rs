//! Writes sample Arrow IPC streams to /tmp/rusket-ipc, each `<name>.arrow` with a
//! `<name>.json` of the values it must decode to, for a JavaScript check with nodejs-polars and
//! apache-arrow (the readers rusket's results go to). The JSON is rendered from the input
//! columns, not from the stream, so a reader that agrees with it agrees with the input.

use rusket_core::arrow_ipc::{gather_utf8, write_stream, Column, Labels};
use std::time::Instant;

const OUT_DIR: &str = "/tmp/rusket-ipc";

/// The column's type in the JSON, which the JS check maps to the dtypes polars and arrow show.
fn kind(c: &Column) -> String {
    match c {
        Column::F64(_) | Column::F64Owned(_) => "f64".into(),
        Column::F32(_) => "f32".into(),
        Column::U32(_) => "u32".into(),
        Column::I32(_) => "i32".into(),
        Column::I64(_) => "i64".into(),
        Column::Bool(_) => "bool".into(),
        Column::Utf8 { .. } | Column::Labels(_) => "utf8".into(),
        Column::List { child, .. } => format!("list<{}>", kind(child)),
    }
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Row `i` of `c` as JSON; 64-bit integers as strings, since JSON numbers are doubles.
fn json_value(c: &Column, i: usize) -> String {
    let span = |o: &[i32]| o[i] as usize..o[i + 1] as usize;
    match c {
        Column::F64(v) => format!("{:?}", v[i]),
        Column::F64Owned(v) => format!("{:?}", v[i]),
        Column::F32(v) => format!("{:?}", v[i]),
        Column::U32(v) => v[i].to_string(),
        Column::I32(v) => v[i].to_string(),
        Column::I64(v) => format!("\"{}\"", v[i]),
        Column::Bool(v) => v[i].to_string(),
        Column::Utf8 { offsets, data } => json_string(std::str::from_utf8(&data[span(offsets)]).unwrap()),
        Column::Labels(l) => {
            let code = l.codes[i] as usize;
            let text = &l.label_data[l.label_offsets[code] as usize..l.label_offsets[code + 1] as usize];
            json_string(std::str::from_utf8(text).unwrap())
        }
        Column::List { offsets, child } => {
            let items: Vec<String> = span(offsets).map(|j| json_value(child, j)).collect();
            format!("[{}]", items.join(","))
        }
    }
}

/// Writes `<name>.arrow` and `<name>.json` (row count, the rows checked, each column's values
/// at those rows).
fn write_sample(name: &str, columns: &[(&str, Column)], rows_to_check: &[usize]) -> Vec<u8> {
    std::fs::create_dir_all(OUT_DIR).unwrap();
    let stream = write_stream(columns);
    std::fs::write(format!("{OUT_DIR}/{name}.arrow"), &stream).unwrap();
    let rows = columns.first().map_or(0, |(_, c)| c.len());
    let cols: Vec<String> = columns
        .iter()
        .map(|(n, c)| {
            let values: Vec<String> = rows_to_check.iter().map(|&i| json_value(c, i)).collect();
            format!("{{\"name\":{},\"kind\":\"{}\",\"values\":[{}]}}", json_string(n), kind(c), values.join(","))
        })
        .collect();
    let checked: Vec<String> = rows_to_check.iter().map(|i| i.to_string()).collect();
    let json = format!("{{\"rows\":{rows},\"checked\":[{}],\"columns\":[{}]}}\n", checked.join(","), cols.join(","));
    std::fs::write(format!("{OUT_DIR}/{name}.json"), json).unwrap();
    stream
}

/// Labels with ASCII, accents, CJK, emoji, quotes and an empty one, as (offsets, bytes).
fn labels() -> (Vec<i32>, Vec<u8>) {
    let words = [
        "WHITE HANGING HEART T-LIGHT HOLDER",
        "crème brûlée",
        "日本語のラベル",
        "🛒 cart",
        "",
        "say \"hi\"",
        "back\\slash",
    ];
    let mut offsets = vec![0];
    let mut data = Vec::new();
    for w in words {
        data.extend_from_slice(w.as_bytes());
        offsets.push(data.len() as i32);
    }
    (offsets, data)
}

#[test]
fn arrow_every_column_type() {
    let n = 11; // more than 8 rows, so booleans span two bytes
    let f64s: Vec<f64> =
        [0.5, -1.25, 1e300, f64::MIN_POSITIVE, 3.0].into_iter().chain((5..n).map(|i| i as f64 / 7.0)).collect();
    let f32s: Vec<f32> = [1.5, -0.1, 3.4e38, 0.0].into_iter().chain((4..n).map(|i| i as f32 / 3.0)).collect();
    let u32s: Vec<u32> = [0, 1, u32::MAX, 1 << 31].into_iter().chain((4..n as u32).map(|i| i * 1000)).collect();
    let i32s: Vec<i32> = [i32::MIN, -1, 0, i32::MAX].into_iter().chain((4..n as i32).map(|i| -i * 77)).collect();
    let i64s: Vec<i64> = [i64::MIN, -(1 << 53) - 1, 0, 1 << 60, i64::MAX]
        .into_iter()
        .chain((5..n as i64).map(|i| i * 1_000_000_007))
        .collect();
    let bools: Vec<bool> = (0..n).map(|i| i % 3 != 1).collect();
    let (label_offsets, label_data) = labels();
    let codes: Vec<u32> = (0..n as u32).map(|i| i % 7).collect();
    // List rows of lengths 0, 1, 2, ...; the child holds the labels again.
    let list_offsets: Vec<i32> = (0..=n as i32).map(|i| i * (i - 1) / 2).collect();
    let child_codes: Vec<u32> = (0..*list_offsets.last().unwrap() as u32).map(|j| (j * 3) % 7).collect();
    let f32_child: Vec<f32> = (0..3 * n).map(|j| j as f32 * 0.25 - 2.0).collect();
    let columns = [
        ("f64", Column::F64(&f64s)),
        ("f32", Column::F32(&f32s)),
        ("u32", Column::U32(&u32s)),
        ("i32", Column::I32(&i32s)),
        ("i64", Column::I64(i64s)),
        ("bool", Column::Bool(bools)),
        ("utf8", gather_utf8(&codes, &label_offsets, &label_data)),
        ("labels", Column::Labels(Labels { codes: &codes, label_offsets: &label_offsets, label_data: &label_data })),
        (
            "list_utf8",
            Column::List {
                offsets: list_offsets,
                child: Box::new(gather_utf8(&child_codes, &label_offsets, &label_data)),
            },
        ),
        (
            "list_f32",
            Column::List { offsets: (0..=n as i32).map(|i| 3 * i).collect(), child: Box::new(Column::F32(&f32_child)) },
        ),
        (
            "list_u32",
            Column::List {
                offsets: vec![0, 0, 2, 2, 3, 3, 3, 3, 3, 3, 3, 4],
                child: Box::new(Column::U32(&[5, 6, 7, 8])),
            },
        ),
    ];
    let rows: Vec<usize> = (0..n).collect();
    let stream = write_sample("all_types", &columns, &rows);
    assert_eq!(stream.len() % 8, 0);
}

#[test]
fn arrow_empty_table_of_every_type() {
    let columns = [
        ("f64", Column::F64(&[])),
        ("f32", Column::F32(&[])),
        ("u32", Column::U32(&[])),
        ("i32", Column::I32(&[])),
        ("i64", Column::I64(vec![])),
        ("bool", Column::Bool(vec![])),
        ("utf8", gather_utf8(&[], &[0], &[])),
        ("labels", Column::Labels(Labels { codes: &[], label_offsets: &[0], label_data: &[] })),
        ("list_utf8", Column::List { offsets: vec![0], child: Box::new(gather_utf8(&[], &[0], &[])) }),
        ("list_f32", Column::List { offsets: vec![0], child: Box::new(Column::F32(&[])) }),
    ];
    write_sample("empty", &columns, &[]);
}

/// Shaped like association rules: antecedent and consequent item lists, with an empty list.
#[test]
fn arrow_rules_with_unicode_labels_and_an_empty_list() {
    let (label_offsets, label_data) = labels();
    let labels = Labels { codes: &[0, 1, 2, 3, 5, 6], label_offsets: &label_offsets, label_data: &label_data };
    let antecedents = Column::List { offsets: vec![0, 2, 2, 5, 6], child: Box::new(Column::Labels(labels)) };
    let consequents = Column::List {
        offsets: vec![0, 1, 2, 3, 4],
        child: Box::new(gather_utf8(&[3, 4, 0, 2], &label_offsets, &label_data)),
    };
    let columns = [
        ("antecedents", antecedents),
        ("consequents", consequents),
        ("support", Column::F64(&[0.25, 0.125, 0.5, 1.0])),
        ("confidence", Column::F64(&[1.0, 0.75, 0.3333333333333333, 0.1])),
        ("count", Column::U32(&[10, 5, 20, 40])),
    ];
    write_sample("rules", &columns, &[0, 1, 2, 3]);
}

/// Item embeddings: one list<f32> vector of 16 floats per item.
#[test]
fn arrow_vector_column() {
    let dim = 16;
    let n = 100;
    let values: Vec<f32> = (0..n * dim).map(|j| ((j * 37 % 101) as f32 - 50.0) / 13.0).collect();
    let items: Vec<u32> = (0..n as u32).collect();
    let columns = [
        ("item", Column::U32(&items)),
        (
            "vector",
            Column::List {
                offsets: (0..=n as i32).map(|i| i * dim as i32).collect(),
                child: Box::new(Column::F32(&values)),
            },
        ),
    ];
    write_sample("vectors", &columns, &(0..n).collect::<Vec<_>>());
}

/// 600k rows of ~7 labels each (0 to 14), as frequent itemsets of a large basket file would be;
/// prints the median wall and on-CPU times of `gather_utf8` + `write_stream` and of
/// `write_stream` with `Column::Labels`, which must write the same bytes.
#[test]
fn arrow_large_list_of_strings() {
    let rows = 600_000;
    // 4000 product-like labels of 14 to 39 bytes.
    let mut label_offsets = vec![0];
    let mut label_data = Vec::new();
    for j in 0..4000 {
        let label = format!("PRODUCT {j:05} {}", &"SET OF 6 SPICE TINS PANTRY DESIGN"[..(j * 7) % 26]);
        label_data.extend_from_slice(label.as_bytes());
        label_offsets.push(label_data.len() as i32);
    }
    let mut offsets = vec![0i32];
    let mut codes = Vec::new();
    let mut state = 0x2545_f491u32;
    for _ in 0..rows {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        for k in 0..state % 15 {
            codes.push((state >> 4).wrapping_add(k * 613) % 4000);
        }
        offsets.push(codes.len() as i32);
    }
    let support: Vec<f64> = (0..rows).map(|i| 1.0 / (i + 1) as f64).collect();
    let labels = Labels { codes: &codes, label_offsets: &label_offsets, label_data: &label_data };
    let frame = |itemsets| {
        [
            ("itemsets", Column::List { offsets: offsets.clone(), child: Box::new(itemsets) }),
            ("support", Column::F64(&support)),
        ]
    };

    let gathered = median_ms(|| write_stream(&frame(gather_utf8(&codes, &label_offsets, &label_data))));
    let direct = median_ms(|| write_stream(&frame(Column::Labels(labels))));
    eprintln!(
        "arrow_large_list_of_strings: {rows} rows, {} strings, stream {:.1} MB; median of 5, wall / on-CPU: \
         gather_utf8 + write_stream {:.0} / {:.0} ms, write_stream of Column::Labels {:.0} / {:.0} ms",
        codes.len(),
        direct.0.len() as f64 / 1e6,
        gathered.1,
        gathered.2,
        direct.1,
        direct.2
    );
    assert!(gathered.0 == direct.0, "both roads write the same stream");
    let checked = [0, 1, 2, 299_999, rows - 1];
    assert!(write_sample("large", &frame(Column::Labels(labels)), &checked) == direct.0);
}

/// Runs `f` 5 times; its last result and the median wall and on-CPU milliseconds (on-CPU from
/// the thread's scheduler statistics, so that waiting for a shared CPU does not count).
fn median_ms<T>(f: impl Fn() -> T) -> (T, f64, f64) {
    let on_cpu_ns = || -> f64 {
        let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
        stat.split_whitespace().next().and_then(|v| v.parse().ok()).unwrap_or(f64::NAN)
    };
    let (mut wall, mut cpu, mut last) = (Vec::new(), Vec::new(), None);
    for _ in 0..5 {
        let (t, c) = (Instant::now(), on_cpu_ns());
        last = Some(f());
        wall.push(t.elapsed().as_secs_f64() * 1e3);
        cpu.push((on_cpu_ns() - c) / 1e6);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (last.unwrap(), median(&mut wall), median(&mut cpu))
}
