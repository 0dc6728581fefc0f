"""Recognising files by header, and the record stream handed to COPY."""
import pytest

from etl import extract
from tests.conftest import write

ORDERS = ("order_id,customer_id,order_status,order_purchase_timestamp,order_approved_at,"
          "order_delivered_carrier_date,order_delivered_customer_date,order_estimated_delivery_date")


def test_recognised_by_header_whatever_the_name_order_or_case(tmp_path):
    cols = ORDERS.split(",")
    shuffled = ",".join(reversed(cols)).upper().replace("ORDER_ID", ' "Order_Id" ')
    write(tmp_path, "export (3).txt", "\ufeff\n\n" + shuffled + "\n")
    found, warnings = extract.discover(tmp_path)
    assert [(f.kind.key, f.header_line) for f in found] == [("orders", 3)]
    assert found[0].columns == tuple(reversed(cols))


def test_other_files_beside_the_exports_are_skipped_with_a_warning(tmp_path):
    write(tmp_path, "o.csv", ORDERS + "\n")
    write(tmp_path, "notes.md", "# notes\n")
    write(tmp_path, ".hidden", "x")
    found, warnings = extract.discover(tmp_path)
    assert [f.name for f in found] == ["o.csv"] and warnings == ["skipped notes.md: not an Olist export"]


def test_a_header_missing_columns_is_named(tmp_path):
    write(tmp_path, "o.csv", ORDERS.replace(",order_approved_at", ",approved") + "\n")
    with pytest.raises(extract.ExtractError, match="missing order_approved_at; unexpected approved"):
        extract.discover(tmp_path)


def stream(tmp_path, body: bytes):
    path = write(tmp_path, "o.csv", body)
    source = extract.recognise(path)
    s = extract.RecordStream(source)
    data = b"".join(s.blocks())
    return s, data


def test_stream_drops_bom_header_and_blank_lines_and_tracks_lines(tmp_path):
    body = (b"\xef\xbb\xbf" + ORDERS.encode() + b"\n"
            b"a,1\n"              # line 2, record 1
            b"\n  \n"             # lines 3-4 blank
            b'b,"x\ny",2\n'       # lines 5-6, record 2
            b"c,3\n"              # line 7, record 3
            b"d,4")               # line 8, record 4, no final newline
    s, data = stream(tmp_path, body)
    assert data == b'a,1\nb,"x\ny",2\nc,3\nd,4\n'
    assert (s.records, s.blank) == (4, 2)
    assert [s.line_of(r) for r in (1, 2, 3, 4)] == [2, 5, 7, 8]


def test_clean_blocks_pass_through_untouched(tmp_path, monkeypatch):
    monkeypatch.setattr(extract, "BLOCK", 64)
    lines = [f"{i:032x},{i}".encode() for i in range(200)]
    s, data = stream(tmp_path, ORDERS.encode() + b"\n" + b"\n".join(lines) + b"\n")
    assert data == b"\n".join(lines) + b"\n"
    assert s.records == 200 and s.break_rows() == [(1, 1)] and s.line_of(200) == 201


def test_sample_check_sends_spreadsheet_dates_to_the_careful_path(tmp_path):
    good = write(tmp_path, "a.csv", ORDERS + "\n" + "e481f51cbdc54678b7cc49136f2d6af7,9ef432eb6251297304e76186b10a928d,"
                 "delivered,2017-10-02 10:56:33,,,,2017-10-18 00:00:00\n")
    bad = write(tmp_path, "b.csv", ORDERS + "\n" + "e481f51cbdc54678b7cc49136f2d6af7,9ef432eb6251297304e76186b10a928d,"
                "delivered,10/2/2017 10:56,,,,10/18/2017 0:00\n")
    assert extract.sample_is_clean(extract.recognise(good))
    assert not extract.sample_is_clean(extract.recognise(bad))
