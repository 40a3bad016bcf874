package expect

import (
	"fmt"
	"slices"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// mdTmpl is a templated value of a response header or trailer: the i-th
// value of key.
type mdTmpl struct {
	key string
	i   int
	t   *tmpl
}

// data is the call as its templates see it, made on first use.
func (r *run) data() *tmplData {
	if r.tdata == nil {
		e := r.e
		r.tdata = &tmplData{
			got: r.got, md: r.call.Metadata(), method: e.method, hit: r.hit, seed: seedOf(e.source),
			start: r.call.Start(), stubID: e.id,
			limit: r.call.MaxSendSize(), listMatch: e.reqs,
		}
		if e.md != nil {
			r.tdata.in = e.md.Input()
		}
		if e.scenario != "" {
			r.tdata.state = func() string { return e.m.states.get(e.scenario) }
		}
	}
	r.tdata.index = r.sent
	r.tdata.ruleHit = r.ruleHit
	r.tdata.msgIndex = max(0, r.nrecv-1)
	r.tdata.msgHit = r.msgHit
	r.tdata.last = r.last
	if r.tdata.last != nil {
		r.tdata.got = r.got
	}
	return r.tdata
}

// tmplFail answers a call whose template failed: INTERNAL, naming the
// expectation's file:line and the cause, and the call shows among the
// misses (Unexpected, the admin API's /misses).
func (r *run) tmplFail(err error) error {
	r.m.miss(Miss{
		Method: r.call.FullMethod(), Metadata: r.call.Metadata(), Messages: slices.Clone(r.got),
		Nearest: r.e.describe(), Reasons: []string{"its template failed: " + err.Error()},
	})
	return status.Errorf(codes.Internal, "grpcdouble: template failed: %v", err)
}

// outMD renders the templated values of response metadata, or returns
// fixed as it is.
func (r *run) outMD(fixed metadata.MD, ts []mdTmpl) (metadata.MD, error) {
	if len(ts) == 0 {
		return fixed, nil
	}
	out := fixed.Copy()
	for _, t := range ts {
		s, err := t.t.render(r.data())
		if err != nil {
			return nil, r.tmplFail(err)
		}
		if t.i < len(out[t.key]) {
			out[t.key][t.i] = s
		}
	}
	return out, nil
}

// statusText renders a templated status message.
func (r *run) statusText(st *status.Status, t *tmpl) (*status.Status, error) {
	if t == nil {
		return st, nil
	}
	s, err := t.render(r.data())
	if err != nil {
		return nil, r.tmplFail(err)
	}
	p := st.Proto()
	p.Message = s
	return status.FromProto(p), nil
}

var _ = fmt.Sprint
