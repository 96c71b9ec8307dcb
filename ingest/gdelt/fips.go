package gdelt

import "strings"

// fipsCountries are the FIPS 10-4 country codes (the last edition, as
// GDELT's ActionGeo_CountryCode uses them, with the codes of former
// countries and of the oceans that GDELT's rows also carry: YI, OS, ...).
// A code outside them is reported (a warning naming FILE:LINE: column);
// the place is kept under the code as written.
var fipsCountries = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(`
		AA AC AE AF AG AJ AL AM AN AO AQ AR AS AT AU AV AX AY
		BA BB BC BD BE BF BG BH BK BL BM BN BO BP BQ BR BS BT BU BV BX BY
		CA CB CD CE CF CG CH CI CJ CK CM CN CO CQ CR CS CT CU CV CW CY
		DA DJ DO DQ DR DX EC EG EI EK EN ER ES ET EU EZ
		FG FI FJ FK FM FO FP FQ FR FS GA GB GG GH GI GJ GK GL GM GO GP GQ GR GT GV GY GZ
		HA HK HM HO HQ HR HU IC ID IM IN IO IP IR IS IT IV IZ
		JA JE JM JN JO JQ JU KE KG KN KQ KR KS KT KU KV KZ
		LA LE LG LH LI LO LQ LS LT LU LY
		MA MB MC MD MF MG MH MI MJ MK ML MN MO MP MQ MR MT MU MV MX MY MZ
		NC NE NF NG NH NI NL NN NO NP NR NS NT NU NZ OD OS
		PA PC PE PF PG PK PL PM PO PP PS PU QA RE RI RM RN RO RP RQ RS RW
		SA SB SC SE SF SG SH SI SL SM SN SO SP ST SU SV SW SX SY SZ
		TB TD TE TH TI TK TL TN TO TP TS TT TU TV TW TX TZ
		UC UG UK UM UP US UV UY UZ VC VE VI VM VQ VT
		WA WE WF WI WQ WS WZ YI YM ZA ZI`) {
		m[c] = true
	}
	return m
}()
