package trace

import (
	"encoding/json"
	"go/build"
	"reflect"
	"strings"
	"testing"
)

// The browser links this package: it must stay on the standard library.
func TestStandardLibraryOnly(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		if first, _, _ := strings.Cut(imp, "/"); strings.Contains(first, ".") {
			t.Errorf("imports %s", imp)
		}
	}
}

func TestParamsJSON(t *testing.T) {
	p := DefaultParams()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"bucket_minutes":10,"retention_days":14,"aerosol_tail_minutes":30,"geohash_precision":7,"gps_accuracy_m":100,"gps_fix_minutes":15,"onset_offset":-2,"weights":[1400,1600,1600,1600,1200,1000,600,0],"max_weight":1600,"threshold":10000,"encounter_minutes":15,"attenuation_db":63,"per_day":true}`
	if string(b) != want {
		t.Fatalf("JSON %s", b)
	}
	var q Params
	if err := json.Unmarshal(b, &q); err != nil || !reflect.DeepEqual(p, q) {
		t.Fatalf("round trip: %+v, %v", q, err)
	}
}
