package pdf

// Checked arithmetic for offsets and lengths read from a file. Every number a file states (a
// /ByteRange, a stream /Length, an xref offset, an object stream's /First and offsets) may be
// anything up to the int64 range; a sum of two of them may overflow and wrap negative, which
// would pass a plain "end > size" check and then slice out of range. These helpers never
// overflow.

// InRange reports whether n bytes starting at off lie inside [0, size]: off ≥ 0, n ≥ 0 and
// off+n ≤ size, computed without overflow.
func InRange(off, n, size int64) bool {
	return off >= 0 && n >= 0 && size >= 0 && off <= size && n <= size-off
}

// AddOffset returns a+b and whether the sum is free of int64 overflow (both operands must be
// non-negative; a negative operand reports false).
func AddOffset(a, b int64) (int64, bool) {
	if a < 0 || b < 0 || b > maxInt64-a {
		return 0, false
	}
	return a + b, true
}

const maxInt64 = 1<<63 - 1
