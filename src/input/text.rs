//! Text files as Windows and the products write them: UTF-8 (byte order mark optional), or UTF-16 little or big
//! endian with a byte order mark (what Windows PowerShell's `Out-File` and `>` write). The one decoder for text that
//! is not XML: federation settings exports ([`crate::entra`]) and IdP configuration files ([`crate::lint`]). Each
//! caller words the failure for its own input; XML documents go through [`crate::xml::decode_document`] instead,
//! which also honours the encoding an XML declaration names.

use serde::Serialize;

/// How a text file was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    /// UTF-8 (with or without BOM).
    Utf8,
    /// UTF-16 little endian with BOM (what Windows PowerShell's `Out-File` writes).
    Utf16le,
    /// UTF-16 big endian with BOM.
    Utf16be,
}

/// Why bytes are not text fedcheck reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TextError {
    /// A UTF-16 byte order mark, then an odd number of bytes.
    #[error("UTF-16 (by its byte order mark) but an odd number of bytes")]
    OddUtf16,
    /// A UTF-16 byte order mark, then something that is not UTF-16.
    #[error("UTF-16 (by its byte order mark) but not valid UTF-16: {0}")]
    InvalidUtf16(std::char::DecodeUtf16Error),
    /// No UTF-16 byte order mark, and not UTF-8.
    #[error("not UTF-8, nor UTF-16 with a byte order mark ({0})")]
    NotUtf8(std::str::Utf8Error),
    /// NUL characters: binary data, or UTF-16 without a byte order mark (only from [`decode_refusing_nul`]).
    #[error("contains NUL characters (binary data, or UTF-16 without a byte order mark)")]
    Nul,
}

/// The UTF-8 byte order mark.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
/// The UTF-16 little endian byte order mark.
const UTF16LE_BOM: &[u8] = b"\xFF\xFE";
/// The UTF-16 big endian byte order mark.
const UTF16BE_BOM: &[u8] = b"\xFE\xFF";

/// Decodes text by its byte order mark: UTF-16 LE or BE after theirs, else UTF-8 (its BOM dropped). The text is
/// returned without the byte order mark.
pub fn decode(bytes: &[u8]) -> Result<(String, Encoding), TextError> {
    if let Some(body) = bytes.strip_prefix(UTF16LE_BOM) {
        Ok((utf16(body, u16::from_le_bytes)?, Encoding::Utf16le))
    } else if let Some(body) = bytes.strip_prefix(UTF16BE_BOM) {
        Ok((utf16(body, u16::from_be_bytes)?, Encoding::Utf16be))
    } else {
        let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
        let text = std::str::from_utf8(body).map_err(TextError::NotUtf8)?;
        Ok((text.to_string(), Encoding::Utf8))
    }
}

/// [`decode`], refusing text with NUL characters: a configuration file never has one, and UTF-16 without a byte
/// order mark decodes as UTF-8 full of them.
pub fn decode_refusing_nul(bytes: &[u8]) -> Result<(String, Encoding), TextError> {
    let (text, encoding) = decode(bytes)?;
    if text.contains('\0') {
        return Err(TextError::Nul);
    }
    Ok((text, encoding))
}

/// UTF-16 code units in the byte order `unit` reads, decoded.
fn utf16(body: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, TextError> {
    if body.len() % 2 != 0 {
        return Err(TextError::OddUtf16);
    }
    let units = body.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(TextError::InvalidUtf16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str, bom: &[u8], unit: fn(u16) -> [u8; 2]) -> Vec<u8> {
        let mut bytes = bom.to_vec();
        bytes.extend(text.encode_utf16().flat_map(unit));
        bytes
    }

    #[test]
    fn reads_each_encoding_by_its_byte_order_mark() {
        let text = "{\"Name\": \"é€𝄞\"}";
        assert_eq!(decode(text.as_bytes()).unwrap(), (text.to_string(), Encoding::Utf8));
        let bom8 = [UTF8_BOM, text.as_bytes()].concat();
        assert_eq!(decode(&bom8).unwrap(), (text.to_string(), Encoding::Utf8));
        let le = utf16(text, UTF16LE_BOM, u16::to_le_bytes);
        assert_eq!(decode(&le).unwrap(), (text.to_string(), Encoding::Utf16le));
        let be = utf16(text, UTF16BE_BOM, u16::to_be_bytes);
        assert_eq!(decode(&be).unwrap(), (text.to_string(), Encoding::Utf16be));
    }

    #[test]
    fn refuses_what_is_not_text() {
        assert_eq!(decode(b"\xFF\xFE{\x00}"), Err(TextError::OddUtf16));
        // A lone high surrogate.
        assert!(matches!(
            decode(b"\xFF\xFE\x00\xD8a\x00"),
            Err(TextError::InvalidUtf16(_))
        ));
        assert!(matches!(decode(b"caf\xE9"), Err(TextError::NotUtf8(_))));
        // UTF-16 without a byte order mark: UTF-8 with NULs, refused only where asked.
        let no_bom: Vec<u8> = "ab".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(decode(&no_bom).unwrap().0, "a\0b\0");
        assert_eq!(decode_refusing_nul(&no_bom), Err(TextError::Nul));
    }
}
