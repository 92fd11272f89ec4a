package netsim_test

import (
	"context"
	"fmt"

	"github.com/fanbench/fanbench/harness/netsim"
	"github.com/fanbench/fanbench/harness/xorname"
)

// peerIDs stands in for the peer package, which derives ids from keys.
func peerIDs(n int) []xorname.Name {
	ids := make([]xorname.Name, n)
	for i := range ids {
		ids[i] = xorname.FromContent(fmt.Appendf(nil, "peer %d", i))
	}
	return ids
}

func ExampleNetwork_Closest() {
	net, err := netsim.New(netsim.DefaultConfig, peerIDs(netsim.DefaultConfig.Peers))
	if err != nil {
		panic(err)
	}
	chunk := xorname.FromContent([]byte("an encrypted chunk"))
	group := net.Closest(chunk, 7)
	fmt.Println(len(group), "peers, nearest first:")
	for i := 1; i < len(group); i++ {
		fmt.Println(xorname.Closer(chunk, group[i-1], group[i]))
	}
	// Output:
	// 7 peers, nearest first:
	// true
	// true
	// true
	// true
	// true
	// true
}

func ExampleNetwork_Transfer() {
	net, err := netsim.New(netsim.DefaultConfig, peerIDs(netsim.DefaultConfig.Peers))
	if err != nil {
		panic(err)
	}
	header, body := make([]byte, 100), make([]byte, 4<<20)
	to := net.Closest(xorname.FromContent(body), 1)[0]

	var calls, got int
	err = net.Clock().Run(context.Background(), "example", func(ctx context.Context) error {
		return net.Transfer(ctx, to, [][]byte{header, body}, func(seg []byte) error {
			calls++ // a peer would hash seg here
			got += len(seg)
			return nil
		})
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(got, "bytes in", calls, "sink calls")
	// 4 MiB + 100 B at 100 Mbit/s, in virtual time: exact.
	fmt.Println(net.Clock().Now())
	// Output:
	// 4194404 bytes in 66 sink calls
	// 335.55232ms
}
