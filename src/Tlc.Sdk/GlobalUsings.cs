// Apache.Arrow also has a Table; in this SDK a Table is always Tlc's.
global using Table = Tlc.Tables.Table;
