package memtest

import (
	"testing"
	"time"
)

// TestPeakSeesAnAllocation: a 64 MiB slice held while sampling shows in the peak.
func TestPeakSeesAnAllocation(t *testing.T) {
	stop := Peak()
	b := make([]byte, 64<<20)
	for i := range b {
		b[i] = byte(i)
	}
	for range 50 {
		if b[len(b)-1] == 0 { // keep b alive across samples
			t.Log()
		}
		runtimeGosched()
	}
	peak, base := stop()
	if peak < base+60<<20 {
		t.Errorf("peak %d MiB, base %d MiB; want the 64 MiB slice seen", peak>>20, base>>20)
	}
	_ = b[0]
}

func runtimeGosched() { time.Sleep(time.Millisecond) }
