using System.Globalization;
using System.Text.Json.Nodes;
using Tlc.Schemas;
using Tlc.Tables.Arrow;
using Tlc.Tables.Querying;

namespace Tlc.Tables;

/// <summary>How a <see cref="ColumnPredicate"/> compares.</summary>
public enum PredicateOperator
{
    /// <summary>Equal to the value.</summary>
    Equal,
    /// <summary>Not equal to the value.</summary>
    NotEqual,
    /// <summary>Less than the value.</summary>
    LessThan,
    /// <summary>Less than or equal to the value.</summary>
    LessOrEqual,
    /// <summary>Greater than the value.</summary>
    GreaterThan,
    /// <summary>Greater than or equal to the value.</summary>
    GreaterOrEqual,
    /// <summary>Equal to one of the values.</summary>
    In,
    /// <summary>Equal to none of the values.</summary>
    NotIn,
    /// <summary>No value.</summary>
    IsNull,
    /// <summary>Any value.</summary>
    IsNotNull,
    /// <summary>A string containing the value.</summary>
    Contains,
    /// <summary>
    /// A point inside a polygon: the first two numbers of a list value (a 2-D or 3-D reduced embedding) inside the polygon
    /// whose vertices are the values x1, y1, x2, y2, … (even-odd rule). What a box or lasso over a scatter selects.
    /// </summary>
    Inside,
}

/// <summary>
/// A condition on one column, used by <see cref="Table.FilterAsync"/> and recorded in the filtered table's lineage. For
/// label columns, values may be class names.
/// </summary>
/// <param name="Column">The column.</param>
/// <param name="Operator">The comparison.</param>
/// <param name="Value">The value compared with (unused for <see cref="PredicateOperator.In"/>, <see cref="PredicateOperator.NotIn"/>, null tests).</param>
/// <param name="Values">The values of <see cref="PredicateOperator.In"/> and <see cref="PredicateOperator.NotIn"/>.</param>
public sealed record ColumnPredicate(string Column, PredicateOperator Operator, object? Value = null, IReadOnlyList<object?>? Values = null)
{
    /// <summary><paramref name="column"/> equals <paramref name="value"/>.</summary>
    public static ColumnPredicate Eq(string column, object? value) => new(column, PredicateOperator.Equal, value);

    /// <summary><paramref name="column"/> is one of <paramref name="values"/>.</summary>
    public static ColumnPredicate In(string column, params object?[] values) => new(column, PredicateOperator.In, Values: values);

    /// <summary>
    /// <paramref name="column"/>'s point (the first two numbers of its list value) lies inside the polygon
    /// <paramref name="polygon"/> (at least 3 vertices).
    /// </summary>
    public static ColumnPredicate Inside(string column, IReadOnlyList<(double X, double Y)> polygon)
    {
        ArgumentNullException.ThrowIfNull(polygon);
        if (polygon.Count < 3 || polygon.Any(p => !double.IsFinite(p.X) || !double.IsFinite(p.Y)))
        {
            throw new ArgumentException($"A polygon over '{column}' needs at least 3 finite vertices (got {polygon.Count}).", nameof(polygon));
        }
        return new ColumnPredicate(column, PredicateOperator.Inside, Values: [.. polygon.SelectMany(p => new object?[] { p.X, p.Y })]);
    }

    /// <summary>
    /// Parses "column op value" as the CLI writes it: <c>label==3</c>, <c>weight&gt;0.5</c>, <c>label in cat,dog</c>,
    /// <c>name~abc</c>, <c>embedding_pca inside 0 0, 1 0, 1 1</c> (a polygon's vertices as "x y" pairs).
    /// </summary>
    public static ColumnPredicate Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        foreach (var (token, op) in new[] { ("!=", PredicateOperator.NotEqual), ("==", PredicateOperator.Equal), ("<=", PredicateOperator.LessOrEqual),
                     (">=", PredicateOperator.GreaterOrEqual), ("<", PredicateOperator.LessThan), (">", PredicateOperator.GreaterThan),
                     ("~", PredicateOperator.Contains), ("=", PredicateOperator.Equal) })
        {
            var i = text.IndexOf(token, StringComparison.Ordinal);
            if (i > 0)
            {
                return new ColumnPredicate(text[..i].Trim(), op, ParseValue(text[(i + token.Length)..].Trim()));
            }
        }
        var parts = text.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 3 && parts[1] == "inside")
        {
            return Inside(parts[0], [.. parts[2].Split(',').Select(vertex => vertex.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [var x, var y]
                && double.TryParse(x, NumberStyles.Float, CultureInfo.InvariantCulture, out var px) && double.TryParse(y, NumberStyles.Float, CultureInfo.InvariantCulture, out var py)
                ? (px, py)
                : throw new FormatException($"Cannot read the polygon vertex '{vertex.Trim()}' of '{text}': write each vertex as 'x y', vertices separated by commas."))]);
        }
        if (parts.Length == 3 && parts[1] is "in" or "not-in")
        {
            var values = parts[2].Split(',').Select(v => ParseValue(v.Trim())).ToArray();
            return new ColumnPredicate(parts[0], parts[1] == "in" ? PredicateOperator.In : PredicateOperator.NotIn, Values: values);
        }
        if (parts.Length == 2 && parts[1] is "is-null" or "not-null")
        {
            return new ColumnPredicate(parts[0], parts[1] == "is-null" ? PredicateOperator.IsNull : PredicateOperator.IsNotNull);
        }
        throw new FormatException($"Cannot read the predicate '{text}': use column==value, !=, <, <=, >, >=, ~ (contains), 'column in a,b', 'column is-null' or 'column inside x y, x y, x y'.");
    }

    private static object ParseValue(string text) =>
        long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d
        : bool.TryParse(text, out var b) ? b
        : text.Trim('"', '\'');

    /// <summary>The predicate as stored in lineage.</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject { ["column"] = Column, ["op"] = Operator.ToString() };
        if (Value is not null) o["value"] = Revisions.ColumnEdits.ToJson(Value);
        if (Values is not null) o["values"] = new JsonArray(Values.Select(Revisions.ColumnEdits.ToJson).ToArray());
        return o;
    }

    /// <summary>Compiles the predicate against a column, resolving class names through the value map.</summary>
    internal Func<object?, bool> Compile(ColumnSchema schema)
    {
        var map = schema switch
        {
            ScalarSchema s => s.ValueMap,
            ListSchema { Element: ScalarSchema e } => e.ValueMap,
            _ => null,
        };
        object? Resolve(object? v) => v is string name && map is not null && map.ValueOf(name) is { } value ? value : v;
        var value = Resolve(Value);
        var values = Values?.Select(Resolve).ToArray() ?? [];
        if (Operator == PredicateOperator.Inside)
        {
            return Polygon.Of(Column, values).Contains;
        }
        return Operator switch
        {
            PredicateOperator.Equal => v => ValueOrder.Compare(v, value) == 0,
            PredicateOperator.NotEqual => v => ValueOrder.Compare(v, value) != 0,
            PredicateOperator.LessThan => v => v is not null && ValueOrder.Compare(v, value) < 0,
            PredicateOperator.LessOrEqual => v => v is not null && ValueOrder.Compare(v, value) <= 0,
            PredicateOperator.GreaterThan => v => v is not null && ValueOrder.Compare(v, value) > 0,
            PredicateOperator.GreaterOrEqual => v => v is not null && ValueOrder.Compare(v, value) >= 0,
            PredicateOperator.In => v => values.Any(x => ValueOrder.Compare(v, x) == 0),
            PredicateOperator.NotIn => v => values.All(x => ValueOrder.Compare(v, x) != 0),
            PredicateOperator.IsNull => v => v is null,
            PredicateOperator.IsNotNull => v => v is not null,
            PredicateOperator.Contains => v => v is string s && value is string part && s.Contains(part, StringComparison.Ordinal),
            _ => throw new NotSupportedException(Operator.ToString()),
        };
    }
}
