package alloc_test

import (
	"fmt"

	"github.com/fanbench/fanbench/harness/alloc"
)

// A 4 MiB buffer is mmapped and returned at free; freeing it raises glibc's
// mmap threshold, so the next 4 MiB buffer comes from the heap and is kept.
func Example() {
	a, err := alloc.New("glibc", alloc.Options{Reserve: 1 << 30})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close()

	b, _ := a.Alloc(4 << 20)
	a.Touch(b, b.Len())
	fmt.Println("mmapped:", a.Resident())
	a.Free(b)
	fmt.Println("after free:", a.Resident())

	c, _ := a.Alloc(4 << 20)
	a.Touch(c, c.Len())
	a.Free(c)
	st := a.Stats()
	fmt.Println("heap, after free:", st.Resident, "retained:", st.ResidentRetained, "threshold:", st.MmapThreshold)
	// Output:
	// mmapped: 4198400
	// after free: 0
	// heap, after free: 4198400 retained: 4198400 threshold: 4198400
}
