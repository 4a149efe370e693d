//! The out-of-core matrix: built on disk from chunks under a small memory budget, it holds what
//! the in-memory CSR holds (both orientations, duplicates summed), and ALS fitted on its
//! memory mapping gives bit-identical factors to ALS on the in-memory matrix.

mod common;

use common::Rng;
use rusket_core::error::Code;
use rusket_core::factor::disk::{self, MappedCsr};
use rusket_core::factor::{als_fit, als_fit_transposed, AlsOptions, Csr};

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rusket-disk-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn built_on_disk_equals_in_memory_and_fits_identically() {
    let (users, items, n) = (300usize, 80usize, 6000usize);
    let mut rng = Rng(99);
    let rows: Vec<u32> = (0..n).map(|_| rng.next(users as u64) as u32).collect();
    let cols: Vec<u32> = (0..n).map(|_| (rng.next(items as u64) * rng.next(items as u64) / items as u64) as u32).collect();
    let vals: Vec<f32> = (0..n).map(|_| 1.0 + rng.next(4) as f32).collect();
    let dir = temp_dir("fit");
    for (a, b) in [(0, 1), (1, 2500), (2500, n)] {
        disk::append(&dir, &rows[a..b], &cols[a..b], Some(&vals[a..b])).unwrap();
    }
    // A budget of 4 KiB: about 256 entries per block, so many passes over coo.bin.
    let nnz = disk::build(&dir, users + 5, items, 4096).unwrap();
    let memory = Csr::from_coo(&rows, &cols, &vals, users + 5, items).unwrap();
    assert_eq!(nnz, memory.indices.len());
    let ui = MappedCsr::open(&dir, "ui", items).unwrap();
    let iu = MappedCsr::open(&dir, "iu", users + 5).unwrap();
    assert_eq!(ui.indptr().unwrap().iter().map(|&p| p as u64).collect::<Vec<_>>(), memory.indptr);
    assert_eq!(ui.indices().unwrap(), &memory.indices[..]);
    assert_eq!(ui.data().unwrap(), &memory.data[..]);
    let t = memory.transpose();
    assert_eq!(iu.indices().unwrap(), &t.indices[..]);
    assert_eq!(iu.data().unwrap(), &t.data[..]);

    let o = AlsOptions { factors: 8, iterations: 4, alpha: 2.0, regularization: 0.05, threads: 2, seed: 5, ..AlsOptions::default() };
    let expected = als_fit(memory.as_ref(), &o).unwrap();
    let from_disk = ui.with_ref(|a| iu.with_ref(|b| als_fit_transposed(a, b, &o))).unwrap();
    assert!(from_disk == expected);

    // A transpose of the wrong shape, an entry outside the matrix, a truncated file
    assert_eq!(ui.with_ref(|a| als_fit_transposed(a, a, &o)).unwrap_err().code, Code::InvalidArgument);
    assert_eq!(disk::build(&dir, 10, items, 4096).unwrap_err().code, Code::InvalidArgument);
    let coo = dir.join("coo.bin");
    let bytes = std::fs::read(&coo).unwrap();
    std::fs::write(&coo, &bytes[..bytes.len() - 5]).unwrap();
    assert_eq!(disk::build(&dir, users + 5, items, 4096).unwrap_err().code, Code::InvalidFormat);
    assert_eq!(disk::append(&dir, &[1], &[2, 3], None).unwrap_err().code, Code::InvalidArgument);
    assert_eq!(disk::append(&dir, &[1], &[2], Some(&[f32::NAN])).unwrap_err().code, Code::InvalidArgument);
    std::fs::remove_dir_all(&dir).unwrap();
}
