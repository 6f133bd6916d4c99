// Apache.Arrow also has a Table; here a Table is always Tlc's.
global using Table = Tlc.Tables.Table;
