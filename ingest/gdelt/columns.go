package gdelt

// The column names of GDELT 1.0 (58 columns; 57 in rows without SOURCEURL)
// and GDELT 2.0 (61 columns) event files, as GDELT publishes them.
var (
	columnsV1 = []string{"GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate", "Actor1Code", "Actor1Name", "Actor1CountryCode", "Actor1KnownGroupCode", "Actor1EthnicCode", "Actor1Religion1Code", "Actor1Religion2Code", "Actor1Type1Code", "Actor1Type2Code", "Actor1Type3Code", "Actor2Code", "Actor2Name", "Actor2CountryCode", "Actor2KnownGroupCode", "Actor2EthnicCode", "Actor2Religion1Code", "Actor2Religion2Code", "Actor2Type1Code", "Actor2Type2Code", "Actor2Type3Code", "IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass", "GoldsteinScale", "NumMentions", "NumSources", "NumArticles", "AvgTone", "Actor1Geo_Type", "Actor1Geo_FullName", "Actor1Geo_CountryCode", "Actor1Geo_ADM1Code", "Actor1Geo_Lat", "Actor1Geo_Long", "Actor1Geo_FeatureID", "Actor2Geo_Type", "Actor2Geo_FullName", "Actor2Geo_CountryCode", "Actor2Geo_ADM1Code", "Actor2Geo_Lat", "Actor2Geo_Long", "Actor2Geo_FeatureID", "ActionGeo_Type", "ActionGeo_FullName", "ActionGeo_CountryCode", "ActionGeo_ADM1Code", "ActionGeo_Lat", "ActionGeo_Long", "ActionGeo_FeatureID", "DATEADDED", "SOURCEURL"}
	columnsV2 = []string{"GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate", "Actor1Code", "Actor1Name", "Actor1CountryCode", "Actor1KnownGroupCode", "Actor1EthnicCode", "Actor1Religion1Code", "Actor1Religion2Code", "Actor1Type1Code", "Actor1Type2Code", "Actor1Type3Code", "Actor2Code", "Actor2Name", "Actor2CountryCode", "Actor2KnownGroupCode", "Actor2EthnicCode", "Actor2Religion1Code", "Actor2Religion2Code", "Actor2Type1Code", "Actor2Type2Code", "Actor2Type3Code", "IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass", "GoldsteinScale", "NumMentions", "NumSources", "NumArticles", "AvgTone", "Actor1Geo_Type", "Actor1Geo_FullName", "Actor1Geo_CountryCode", "Actor1Geo_ADM1Code", "Actor1Geo_ADM2Code", "Actor1Geo_Lat", "Actor1Geo_Long", "Actor1Geo_FeatureID", "Actor2Geo_Type", "Actor2Geo_FullName", "Actor2Geo_CountryCode", "Actor2Geo_ADM1Code", "Actor2Geo_ADM2Code", "Actor2Geo_Lat", "Actor2Geo_Long", "Actor2Geo_FeatureID", "ActionGeo_Type", "ActionGeo_FullName", "ActionGeo_CountryCode", "ActionGeo_ADM1Code", "ActionGeo_ADM2Code", "ActionGeo_Lat", "ActionGeo_Long", "ActionGeo_FeatureID", "DATEADDED", "SOURCEURL"}
)

// Columns both versions have at the same place.
const (
	colID             = 0  // GLOBALEVENTID
	colSQLDate        = 1  // SQLDATE, YYYYMMDD
	colActor1Code     = 5  // Actor1Code
	colActor1Name     = 6  // Actor1Name
	colActor1Known    = 8  // Actor1KnownGroupCode
	colActor1Type1    = 12 // Actor1Type1Code
	colActor2Code     = 15 // Actor2Code
	colActor2Name     = 16 // Actor2Name
	colActor2Known    = 18 // Actor2KnownGroupCode
	colActor2Type1    = 22 // Actor2Type1Code
	colEventCode      = 26 // EventCode
	colEventRootCode  = 28 // EventRootCode
	actorColumnStride = colActor2Code - colActor1Code
)

// A geo is where the columns of one place (ActionGeo_*) are.
type geo struct {
	typ, fullName, country, adm1, lat, long, feature int
}

// A layout is one version's columns.
type layout struct {
	version string   // "GDELT 1.0", "GDELT 2.0"
	names   []string // column names, by index
	action  geo
	url     int // SOURCEURL; -1: none (GDELT 1.0 rows of 57 columns)
}

var (
	layoutV1      = layout{version: "GDELT 1.0", names: columnsV1, action: geo{49, 50, 51, 52, 53, 54, 55}, url: 57}
	layoutV1NoURL = layout{version: "GDELT 1.0", names: columnsV1[:57], action: geo{49, 50, 51, 52, 53, 54, 55}, url: -1}
	layoutV2      = layout{version: "GDELT 2.0", names: columnsV2, action: geo{51, 52, 53, 54, 56, 57, 58}, url: 60}
)

// layoutOf returns the layout of a row of n columns.
func layoutOf(n int) (layout, bool) {
	switch n {
	case 57:
		return layoutV1NoURL, true
	case 58:
		return layoutV1, true
	case 61:
		return layoutV2, true
	}
	return layout{}, false
}
