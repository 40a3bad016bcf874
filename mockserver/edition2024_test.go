package mockserver_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/grpcdouble/grpcdouble/mockserver"
)

// An edition 2024 file is served with 2023's features, which are 2024's on
// the wire: explicit presence by default, IMPLICIT where the file says so,
// packed repeated fields. protodesc accepts the descriptor built.
func TestEdition2024ProtoFile(t *testing.T) {
	srv := mockserver.Start(t, mockserver.HandlerFunc(func(c *mockserver.Call) error {
		req, err := c.Recv()
		if err != nil {
			return err
		}
		in := req.ProtoReflect()
		fields := in.Descriptor().Fields()
		out := c.NewResponse().ProtoReflect()
		outFields := out.Descriptor().Fields()
		out.Set(outFields.ByName("title"), in.Get(fields.ByName("title")))
		out.Set(outFields.ByName("copies_sent"), protoreflect.ValueOfBool(in.Has(fields.ByName("copies"))))
		out.Set(outFields.ByName("pages_sent"), protoreflect.ValueOfBool(in.Has(fields.ByName("pages"))))
		out.Set(outFields.ByName("shelves"), protoreflect.ValueOfInt32(int32(in.Get(fields.ByName("shelves")).List().Len())))
		return c.Send(out.Interface())
	}), mockserver.WithProtoFiles([]string{protoDir}, "edition2024/v1/shelf.proto"))
	services := srv.Services()
	require.Len(t, services, 1)
	sd := services[0]
	require.Equal(t, "edition2024.v1.Shelf", string(sd.FullName()))

	fdp := protodesc.ToFileDescriptorProto(sd.ParentFile())
	require.Equal(t, descriptorpb.Edition_EDITION_2023, fdp.GetEdition())
	_, err := protodesc.NewFile(fdp, protoregistry.GlobalFiles)
	require.NoError(t, err, "protodesc refuses the descriptor built")

	md := sd.Methods().ByName("Put")
	book := md.Input()
	require.True(t, book.Fields().ByName("copies").HasPresence())
	require.False(t, book.Fields().ByName("pages").HasPresence())
	require.True(t, book.Fields().ByName("shelves").IsPacked())

	req := dynamicpb.NewMessage(book)
	req.Set(book.Fields().ByName("title"), protoreflect.ValueOfString("Odes"))
	req.Set(book.Fields().ByName("copies"), protoreflect.ValueOfInt32(0))
	shelves := req.Mutable(book.Fields().ByName("shelves")).List()
	shelves.Append(protoreflect.ValueOfInt32(3))
	shelves.Append(protoreflect.ValueOfInt32(4))
	resp := dynamicpb.NewMessage(md.Output())
	require.NoError(t, srv.ClientConn().Invoke(testContext(t), "/edition2024.v1.Shelf/Put", req, resp))
	got := resp.Descriptor().Fields()
	require.Equal(t, "Odes", resp.Get(got.ByName("title")).String())
	require.True(t, resp.Get(got.ByName("copies_sent")).Bool(), "an explicit zero is sent")
	require.False(t, resp.Get(got.ByName("pages_sent")).Bool())
	require.Equal(t, int64(2), resp.Get(got.ByName("shelves")).Int())
}
