//! Parquet tables written row group by row group (no arrow), committed atomically like every
//! other result file. Columns are required (no nulls); text is UTF-8 strings.

use super::{AtomicFile, OutputError, io};
use parquet::basic::{LogicalType, Repetition, Type as Physical};
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    I32,
    I64,
    /// Unsigned 64-bit (stored as INT64 with the unsigned integer annotation).
    U64,
    F64,
    Text,
}

/// The values of one column of one row group.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    I32(Vec<i32>),
    I64(Vec<i64>),
    U64(Vec<u64>),
    F64(Vec<f64>),
    Text(Vec<String>),
}

/// A Parquet file being written under a temporary name (Snappy-compressed).
pub struct ParquetFile {
    path: PathBuf,
    file: Option<AtomicFile>,
    writer: Option<SerializedFileWriter<File>>,
}

fn pq(path: &Path) -> impl FnOnce(parquet::errors::ParquetError) -> OutputError + '_ {
    move |e| OutputError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    }
}

impl ParquetFile {
    /// Creates the file with one required column per (name, kind).
    pub fn create(path: &Path, columns: &[(String, Kind)]) -> Result<Self, OutputError> {
        let fields = columns
            .iter()
            .map(|(name, kind)| {
                let (physical, logical) = match kind {
                    Kind::I32 => (Physical::INT32, None),
                    Kind::I64 => (Physical::INT64, None),
                    Kind::U64 => (Physical::INT64, Some(LogicalType::integer(64, false))),
                    Kind::F64 => (Physical::DOUBLE, None),
                    Kind::Text => (Physical::BYTE_ARRAY, Some(LogicalType::String)),
                };
                Type::primitive_type_builder(name, physical)
                    .with_repetition(Repetition::REQUIRED)
                    .with_logical_type(logical)
                    .build()
                    .map(Arc::new)
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(pq(path))?;
        let schema = Type::group_type_builder("schema")
            .with_fields(fields)
            .build()
            .map_err(pq(path))?;
        let props = WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            .build();
        let file = AtomicFile::create(path)?;
        let handle = file.tmp.reopen().map_err(io(path))?;
        let writer = SerializedFileWriter::new(handle, Arc::new(schema), Arc::new(props))
            .map_err(pq(path))?;
        Ok(ParquetFile {
            path: path.to_path_buf(),
            file: Some(file),
            writer: Some(writer),
        })
    }

    /// Writes one row group: one [`Column`] per schema column, in order, of equal lengths.
    pub fn write_row_group(&mut self, columns: &[Column]) -> Result<(), OutputError> {
        let path = self.path.clone();
        let writer = self.writer.as_mut().expect("open until committed");
        let mut group = writer.next_row_group().map_err(pq(&path))?;
        let mut values = columns.iter();
        while let Some(mut col) = group.next_column().map_err(pq(&path))? {
            let Some(values) = values.next() else {
                return Err(pq(&path)(parquet::errors::ParquetError::General(
                    "fewer columns than the schema".into(),
                )));
            };
            match values {
                Column::I32(v) => col.typed::<Int32Type>().write_batch(v, None, None),
                Column::I64(v) => col.typed::<Int64Type>().write_batch(v, None, None),
                Column::U64(v) => {
                    let bits: Vec<i64> = v.iter().map(|x| *x as i64).collect();
                    col.typed::<Int64Type>().write_batch(&bits, None, None)
                }
                Column::F64(v) => col.typed::<DoubleType>().write_batch(v, None, None),
                Column::Text(v) => {
                    let bytes: Vec<ByteArray> =
                        v.iter().map(|s| ByteArray::from(s.as_str())).collect();
                    col.typed::<ByteArrayType>().write_batch(&bytes, None, None)
                }
            }
            .map_err(pq(&path))?;
            col.close().map_err(pq(&path))?;
        }
        group.close().map_err(pq(&path))?;
        Ok(())
    }

    pub fn commit(mut self) -> Result<(), OutputError> {
        let writer = self.writer.take().expect("committed once");
        writer.close().map_err(pq(&self.path))?;
        self.file.take().expect("committed once").commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::RowAccessor;

    #[test]
    fn writes_row_groups_that_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let cols = [
            ("id".to_string(), Kind::U64),
            ("firms.x".to_string(), Kind::Text),
            ("v".to_string(), Kind::F64),
        ];
        let mut f = ParquetFile::create(&path, &cols).unwrap();
        for g in 0..2u64 {
            f.write_row_group(&[
                Column::U64(vec![u64::MAX - g, g]),
                Column::Text(vec!["a".into(), "b,c".into()]),
                Column::F64(vec![0.5, g as f64]),
            ])
            .unwrap();
        }
        assert!(!path.exists(), "invisible until committed");
        f.commit().unwrap();
        let reader = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
        assert_eq!(reader.metadata().num_row_groups(), 2);
        let rows: Vec<_> = reader
            .get_row_iter(None)
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].get_ulong(0).unwrap(), u64::MAX);
        assert_eq!(rows[1].get_string(1).unwrap(), "b,c");
        assert_eq!(rows[3].get_double(2).unwrap(), 1.0);
    }
}
