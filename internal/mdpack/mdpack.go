package mdpack

import (
	"encoding/binary"

	"google.golang.org/grpc/metadata"
)

// Append flattens md onto b: for each key, its length and bytes, the
// number of its values, then each value's length and bytes.
//
// With a limit (>= 0), values are cut so that keys and values hold at most
// limit bytes, and cut reports whether any was: a call may carry 16 MiB of
// metadata (gRPC's default bound), and a journal of whole ones held 1.6 GB.
// A limit below 0 keeps everything.
func Append(b []byte, md metadata.MD, limit int) (_ []byte, cut bool) {
	left := limit
	take := func(s string) string {
		if limit < 0 {
			return s
		}
		if len(s) > left {
			s, cut = s[:max(left, 0)], true
		}
		left -= len(s)
		return s
	}
	for k, vs := range md {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		if limit >= 0 {
			left -= len(k)
		}
		b = binary.AppendUvarint(b, uint64(len(vs)))
		for _, v := range vs {
			v = take(v)
			b = binary.AppendUvarint(b, uint64(len(v)))
			b = append(b, v...)
		}
	}
	return b, cut
}

// Unpack is Append's inverse: b must be what Append wrote.
func Unpack(b []byte) metadata.MD {
	md := metadata.MD{}
	str := func() string {
		n, k := binary.Uvarint(b)
		s := string(b[k : k+int(n)])
		b = b[k+int(n):]
		return s
	}
	for len(b) > 0 {
		key := str()
		count, k := binary.Uvarint(b)
		b = b[k:]
		vs := make([]string, count)
		for i := range vs {
			vs[i] = str()
		}
		md[key] = vs
	}
	return md
}
