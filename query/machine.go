package query

import "slices"

// Machine-coded sources (tg:coding "machine", such as GDELT's events):
// software coded their facts from news text and no person read them, so
// an answer that shows a fact says so when the fact rests on them alone
// (Evidence.Coding, Hop.MachineCoded, TimelineEvent.MachineCoded,
// Precursor.MachineCoded).

// allMachine reports whether sources is not empty and every one of them
// is machine-coded in the view.
func (v *View) allMachine(sources []string) bool {
	if len(sources) == 0 || len(v.machine) == 0 {
		return false
	}
	for _, s := range sources {
		if _, ok := slices.BinarySearch(v.machine, s); !ok {
			return false
		}
	}
	return true
}

// IsMachineCoded reports whether the view knows src as a machine-coded
// source.
func (v *View) IsMachineCoded(src string) bool {
	_, ok := slices.BinarySearch(v.machine, src)
	return ok
}
