package expect

import "github.com/grpcdouble/grpcdouble/mockserver"

// CheckStubs reports what AddStubs would say of stubs on a Mock bound to
// methods (a server's descriptors), without adding them anywhere: unknown
// methods, a field for another kind of RPC, messages that do not fit,
// duplicate IDs. Every stub's problem is in the joined error; nil means
// AddStubs would take them all. The grpcdouble command's stub loader calls
// it when some files did not parse, so that serve and lint report every
// problem at once, through the same code.
func CheckStubs(methods mockserver.Methods, stubs ...Stub) error {
	m := NewMock()
	if methods != nil {
		if err := m.Bind(methods); err != nil {
			return err
		}
	}
	_, err := m.AddStubs(stubs...)
	return err
}
