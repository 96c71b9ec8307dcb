package graphml_test

import (
	"fmt"
	"os"

	"github.com/threatgraph/threatgraph/query/export"
	"github.com/threatgraph/threatgraph/query/export/graphml"
)

func ExampleEncoder() {
	keys := []export.Key{
		{Name: "label", Domain: export.Node, Type: export.String},
		{Name: "aliases", Domain: export.Node, Type: export.String},
		{Name: "predicate", Domain: export.Edge, Type: export.String},
	}
	keys = append(keys, export.FigureKeys("killed", export.Node, export.Int)...)
	enc := graphml.NewEncoder(os.Stdout, keys)
	enc.Node("attack-crocus", append(export.Figures("killed",
		export.Figure{Value: 145, Sources: []string{"source-a"}},
		export.Figure{Value: 137, Sources: []string{"source-b"}}),
		export.Str("label", "Crocus City Hall attack"))...)
	enc.Node(export.ID("group:isis-k"), export.Str("label", "ISIS-K"), export.List("aliases", "ISKP", "ISIS-K"))
	enc.Edge("e-1", "group-isis-k", "attack-crocus", export.Str("predicate", "perpetrated"))
	if err := enc.Close(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// <?xml version="1.0" encoding="UTF-8"?>
	// <graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">
	//   <key id="n_aliases" for="node" attr.name="aliases" attr.type="string"/>
	//   <key id="n_killed" for="node" attr.name="killed" attr.type="string"/>
	//   <key id="n_killed_max" for="node" attr.name="killed_max" attr.type="int"/>
	//   <key id="n_killed_min" for="node" attr.name="killed_min" attr.type="int"/>
	//   <key id="n_label" for="node" attr.name="label" attr.type="string"/>
	//   <key id="e_predicate" for="edge" attr.name="predicate" attr.type="string"/>
	//   <graph id="G" edgedefault="directed">
	//     <node id="attack-crocus">
	//       <data key="n_killed">[{"value":137,"sources":["source-b"]},{"value":145,"sources":["source-a"]}]</data>
	//       <data key="n_killed_max">145</data>
	//       <data key="n_killed_min">137</data>
	//       <data key="n_label">Crocus City Hall attack</data>
	//     </node>
	//     <node id="group-isis-k">
	//       <data key="n_aliases">["ISIS-K","ISKP"]</data>
	//       <data key="n_label">ISIS-K</data>
	//     </node>
	//     <edge id="e-1" source="group-isis-k" target="attack-crocus">
	//       <data key="e_predicate">perpetrated</data>
	//     </edge>
	//   </graph>
	// </graphml>
}
