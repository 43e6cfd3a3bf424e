//! Carrier label files from arbitrary parcels: the names and addresses in them came from the API,
//! so they are hostile input too. A writer refuses a row with an error naming the order and field,
//! or writes a file of the promised shape whose key column is the parcel's key, which is what comes
//! back in the carrier's tracking file.

use crate::text::{amount, as_read_back, date, digits, read_back_csv, text};
use arbitrary::{Result, Unstructured};
use juchu_formats::{
    B2_COLUMNS, CLICKPOST_COLUMNS, CarrierConfig, Cod, EHIDEN_COLUMNS, FormatError, LabelRow,
    Recipient, YUPRI_COLUMNS, write_b2, write_clickpost, write_ehiden, write_yupri,
};

fn row(u: &mut Unstructured, i: usize) -> Result<LabelRow> {
    Ok(LabelRow {
        key: if u.ratio(7, 8)? {
            format!("0190c0de0000700080000000000{i:05x}")
        } else {
            text(u, 30)?
        },
        order_ref: format!("{}", 1000 + i),
        ship_date: date(u)?,
        delivery_date: if u.arbitrary()? { Some(date(u)?) } else { None },
        time_slot: match u.int_in_range(0..=7)? {
            0 => Some(text(u, 3)?),
            1 => Some("1214".into()),
            2 => Some("0812".into()),
            3 => Some("1921".into()),
            _ => None,
        },
        to: Recipient {
            name: text(u, 24)?,
            phone: digits(u, 14)?,
            postal_code: digits(u, 8)?,
            address: text(u, 60)?,
            building: text(u, 20)?,
        },
        item_name: text(u, 40)?,
        cod: if u.ratio(1, 4)? {
            Some(Cod {
                amount: amount(u)?,
                tax: amount(u)?,
            })
        } else {
            None
        },
    })
}

fn config(u: &mut Unstructured) -> Result<CarrierConfig> {
    let mut c = CarrierConfig::default();
    if u.ratio(1, 4)? {
        c.shipper.name = text(u, 20)?;
        c.shipper.address = text(u, 40)?;
        c.shipper.building = text(u, 10)?;
        c.shipper.phone = digits(u, 14)?;
        c.shipper.postal_code = digits(u, 8)?;
        c.sagawa.customer_code = digits(u, 14)?;
    }
    Ok(c)
}

/// `key_col`: where the parcel's key is (from 1), `None` when the layout has none.
fn check(
    name: &str,
    written: Result<Vec<u8>, FormatError>,
    rows: &[LabelRow],
    header: bool,
    width: usize,
    key_col: Option<usize>,
) {
    let bytes = match written {
        Ok(b) => b,
        Err(FormatError::Field { order, field, .. }) => {
            assert!(
                rows.iter().any(|r| r.order_ref == order) && !field.is_empty(),
                "{name}: error names order {order}"
            );
            return;
        }
        Err(FormatError::File(_)) => return,
    };
    let got = read_back_csv(&bytes);
    let data = &got[usize::from(header)..];
    assert_eq!(data.len(), rows.len(), "{name}: one record per parcel");
    for (r, rec) in rows.iter().zip(data) {
        assert_eq!(rec.len(), width, "{name}: columns");
        if let Some(k) = key_col {
            let want = as_read_back(r.key.trim()).unwrap_or_default();
            assert_eq!(rec[k - 1], want, "{name}: the key comes back");
        }
    }
}

/// Every label layout over one set of parcels.
pub fn label_files(u: &mut Unstructured) -> Result<()> {
    let config = config(u)?;
    let n = u.int_in_range(0..=3)?;
    let rows = (0..n).map(|i| row(u, i)).collect::<Result<Vec<_>>>()?;
    check(
        "b2",
        write_b2(&config, &rows),
        &rows,
        true,
        B2_COLUMNS.len(),
        Some(1),
    );
    check(
        "ehiden",
        write_ehiden(&config, &rows),
        &rows,
        true,
        EHIDEN_COLUMNS.len(),
        Some(10),
    );
    check(
        "yupri",
        write_yupri(&config, &rows),
        &rows,
        false,
        YUPRI_COLUMNS.len(),
        Some(1),
    );
    check(
        "clickpost",
        write_clickpost(&rows),
        &rows,
        true,
        CLICKPOST_COLUMNS.len(),
        None,
    );
    Ok(())
}
