package scan

import (
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common"
	"github.com/makiuchi-d/gozxing/common/reedsolomon"
	zxdec "github.com/makiuchi-d/gozxing/qrcode/decoder"
	zxdet "github.com/makiuchi-d/gozxing/qrcode/detector"
)

// read returns the text of the QR code in bmp. It is gozxing's QR reader
// (qrcode.QRCodeReader.Decode: its detector, its bit matrix parser with the
// mirrored second reading, its data blocks and Reed-Solomon decoder) up to
// the corrected data code words, which it reads itself (dataText) instead
// of gozxing's DecodedBitStreamParser. That parser turns byte and Kanji
// segments into text through golang.org/x/text's character sets, and
// linking it links their Chinese, Japanese and Korean tables: about 350 KB
// of the visitor app's gzipped module, for codes no SafeTrace poster or
// personal code uses. The errors are gozxing's exceptions, so a caller can
// tell a code not found (gozxing.NotFoundException) from one located but
// not read.
func read(bmp *gozxing.BinaryBitmap, hints map[gozxing.DecodeHintType]interface{}) (string, error) {
	m, err := bmp.GetBlackMatrix()
	if err != nil {
		return "", err
	}
	det, err := zxdet.NewDetector(m).Detect(hints)
	if err != nil {
		return "", err
	}
	p, err := zxdec.NewBitMatrixParser(det.GetBits())
	if err != nil {
		return "", gozxing.WrapFormatException(err)
	}
	text, err := readParsed(p)
	if err == nil {
		return text, nil
	}
	// As gozxing's decoder does: undo the data mask and try the code as
	// its mirror image, if the mirrored version and format information
	// read; if that fails too, the first reading's error stands.
	p.Remask()
	p.SetMirror(true)
	if _, e := p.ReadVersion(); e != nil {
		return "", err
	}
	if _, e := p.ReadFormatInformation(); e != nil {
		return "", err
	}
	p.Mirror()
	if text, e := readParsed(p); e == nil {
		return text, nil
	}
	return "", err
}

// rs is the QR code's Reed-Solomon decoder (GF(256)); it keeps no state
// between calls.
var rs = reedsolomon.NewReedSolomonDecoder(reedsolomon.GenericGF_QR_CODE_FIELD_256)

// readParsed reads the code words of p, corrects the errors of each data
// block and reads the data bit stream.
func readParsed(p *zxdec.BitMatrixParser) (string, error) {
	version, err := p.ReadVersion()
	if err != nil {
		return "", gozxing.WrapFormatException(err)
	}
	format, err := p.ReadFormatInformation()
	if err != nil {
		return "", gozxing.WrapFormatException(err)
	}
	codewords, err := p.ReadCodewords()
	if err != nil {
		return "", gozxing.WrapFormatException(err)
	}
	blocks, err := zxdec.DataBlock_GetDataBlocks(codewords, version, format.GetErrorCorrectionLevel())
	if err != nil {
		return "", gozxing.WrapFormatException(err)
	}
	var data []byte
	var ints []int
	for _, b := range blocks {
		cw, nd := b.GetCodewords(), b.GetNumDataCodewords()
		ints = ints[:0]
		for _, c := range cw {
			ints = append(ints, int(c))
		}
		if err := rs.Decode(ints, len(cw)-nd); err != nil {
			return "", gozxing.WrapChecksumException(err)
		}
		for _, c := range ints[:nd] {
			data = append(data, byte(c))
		}
	}
	return dataText(data, version)
}

// errCharset is returned for a segment in a character set dataText does
// not read.
var errCharset = errors.New("qr: unsupported character set")

// alphanumeric are the characters of the alphanumeric mode, by value.
const alphanumeric = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// The mode indicators of ISO/IEC 18004 (and GB/T 18284's Hanzi mode).
const (
	modeTerminator   = 0x0
	modeNumeric      = 0x1
	modeAlphanumeric = 0x2
	modeAppend       = 0x3 // structured append
	modeByte         = 0x4
	modeFNC1First    = 0x5
	modeECI          = 0x7
	modeKanji        = 0x8
	modeFNC1Second   = 0x9
	modeHanzi        = 0xd
)

// The ECI assignment numbers of the character sets dataText reads.
const (
	eciNone    = -1 // no ECI: the byte segment's encoding is guessed
	eciLatin1a = 1  // ISO-8859-1 (ECI 1 and 3)
	eciLatin1  = 3
	eciUTF16BE = 25
	eciUTF8    = 26
	eciASCII   = 27
	eciASCII2  = 170
)

// dataText reads the data bit stream of a QR code of the given version
// (ISO/IEC 18004 section 7.4): numeric, alphanumeric and byte segments,
// structured append headers (skipped: each symbol is read alone), FNC1
// (as gozxing does, it turns an alphanumeric '%' into the GS separator
// 0x1D and "%%" into '%') and ECI designators of UTF-8, ISO-8859-1,
// US-ASCII and UTF-16BE. A byte segment without an ECI is UTF-8 if it is
// valid UTF-8 and ISO-8859-1 otherwise; gozxing's reader would also guess
// Shift_JIS. Kanji and Hanzi segments and the other character sets return
// an error (gozxing reads them with golang.org/x/text's tables).
func dataText(data []byte, version *zxdec.Version) (string, error) {
	bits := common.NewBitSource(data)
	var out []byte
	eci := eciNone
	fnc1 := false
	for bits.Available() >= 4 {
		m, _ := bits.ReadBits(4)
		switch m {
		case modeTerminator:
			return string(out), nil
		case modeFNC1First, modeFNC1Second:
			fnc1 = true
			continue
		case modeAppend:
			if _, err := bits.ReadBits(16); err != nil {
				return "", gozxing.WrapFormatException(err)
			}
			continue
		case modeECI:
			v, err := readECI(bits)
			if err != nil {
				return "", err
			}
			switch v {
			case eciLatin1a, eciLatin1, eciUTF16BE, eciUTF8, eciASCII, eciASCII2:
				eci = v
			default:
				return "", gozxing.WrapFormatException(fmt.Errorf("%w: ECI %d", errCharset, v))
			}
			continue
		case modeKanji, modeHanzi:
			return "", gozxing.WrapFormatException(fmt.Errorf("%w: Kanji or Hanzi segment", errCharset))
		}
		mode, err := zxdec.ModeForBits(m)
		if err != nil {
			return "", gozxing.WrapFormatException(err)
		}
		count, err := bits.ReadBits(mode.GetCharacterCountBits(version))
		if err != nil {
			return "", gozxing.WrapFormatException(err)
		}
		switch m {
		case modeNumeric:
			out, err = numericSegment(bits, out, count)
		case modeAlphanumeric:
			out, err = alphanumericSegment(bits, out, count, fnc1)
		case modeByte:
			out, err = byteSegment(bits, out, count, eci)
		default:
			err = fmt.Errorf("qr: unknown mode %#x", m)
		}
		if err != nil {
			return "", gozxing.WrapFormatException(err)
		}
	}
	return string(out), nil // fewer than 4 bits left: the terminator may be left out
}

// readECI reads an ECI assignment number: 1, 2 or 3 bytes, the leading
// bits of the first telling how many.
func readECI(bits *common.BitSource) (int, error) {
	b, err := bits.ReadBits(8)
	if err != nil {
		return 0, gozxing.WrapFormatException(err)
	}
	var more, rest int
	switch {
	case b&0x80 == 0:
		return b, nil
	case b&0xc0 == 0x80:
		more, rest = 8, b&0x3f
	case b&0xe0 == 0xc0:
		more, rest = 16, b&0x1f
	default:
		return 0, gozxing.NewFormatException("bad ECI designator %#x", b)
	}
	v, err := bits.ReadBits(more)
	if err != nil {
		return 0, gozxing.WrapFormatException(err)
	}
	return rest<<more | v, nil
}

// numericSegment appends count digits: three in 10 bits, a last two in 7,
// a last one in 4.
func numericSegment(bits *common.BitSource, out []byte, count int) ([]byte, error) {
	for count > 0 {
		n, width, limit := 3, 10, 1000
		switch count {
		case 2:
			n, width, limit = 2, 7, 100
		case 1:
			n, width, limit = 1, 4, 10
		}
		v, err := bits.ReadBits(width)
		if err != nil {
			return nil, err
		}
		if v >= limit {
			return nil, fmt.Errorf("qr: numeric group %d of %d digits", v, n)
		}
		var d [3]byte
		for i := n - 1; i >= 0; i-- {
			d[i] = byte('0' + v%10)
			v /= 10
		}
		out = append(out, d[:n]...)
		count -= n
	}
	return out, nil
}

// alphanumericSegment appends count characters: two in 11 bits (45*first +
// second), a last one in 6. Under FNC1, '%' is the GS separator and "%%"
// a '%'.
func alphanumericSegment(bits *common.BitSource, out []byte, count int, fnc1 bool) ([]byte, error) {
	start := len(out)
	for count > 0 {
		width, n := 11, 2
		if count == 1 {
			width, n = 6, 1
		}
		v, err := bits.ReadBits(width)
		if err != nil {
			return nil, err
		}
		if n == 2 {
			if v/45 >= len(alphanumeric) {
				return nil, fmt.Errorf("qr: alphanumeric pair %d", v)
			}
			out = append(out, alphanumeric[v/45], alphanumeric[v%45])
		} else {
			if v >= len(alphanumeric) {
				return nil, fmt.Errorf("qr: alphanumeric value %d", v)
			}
			out = append(out, alphanumeric[v])
		}
		count -= n
	}
	if !fnc1 {
		return out, nil
	}
	seg := out[start:]
	out = out[:start]
	for i := 0; i < len(seg); i++ {
		switch {
		case seg[i] != '%':
			out = append(out, seg[i])
		case i+1 < len(seg) && seg[i+1] == '%':
			out = append(out, '%')
			i++
		default:
			out = append(out, 0x1d)
		}
	}
	return out, nil
}

// byteSegment appends count bytes in the character set eci, as UTF-8.
func byteSegment(bits *common.BitSource, out []byte, count int, eci int) ([]byte, error) {
	if 8*count > bits.Available() {
		return nil, fmt.Errorf("qr: byte segment of %d bytes with %d bits left", count, bits.Available())
	}
	b := make([]byte, count)
	for i := range b {
		v, _ := bits.ReadBits(8)
		b[i] = byte(v)
	}
	switch eci {
	case eciNone:
		if utf8.Valid(b) {
			return append(out, b...), nil
		}
		return appendLatin1(out, b), nil
	case eciUTF8:
		for len(b) > 0 { // each invalid byte becomes U+FFFD
			r, n := utf8.DecodeRune(b)
			out = utf8.AppendRune(out, r)
			b = b[n:]
		}
		return out, nil
	case eciUTF16BE:
		if len(b)%2 != 0 {
			return nil, fmt.Errorf("qr: UTF-16 segment of %d bytes", len(b))
		}
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		}
		for _, r := range utf16.Decode(u) {
			out = utf8.AppendRune(out, r)
		}
		return out, nil
	default: // ISO-8859-1, and US-ASCII, its first half
		return appendLatin1(out, b), nil
	}
}

// appendLatin1 appends ISO-8859-1 bytes as UTF-8: byte b is U+00b.
func appendLatin1(out, b []byte) []byte {
	for _, c := range b {
		out = utf8.AppendRune(out, rune(c))
	}
	return out
}
