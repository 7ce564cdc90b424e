using System.Data;
using System.Data.Common;

namespace Automations.Bench;

/// <summary>Prints a query's plan (SQLite's <c>EXPLAIN QUERY PLAN</c>, PostgreSQL's <c>EXPLAIN</c>) from EF's <c>ToQueryString()</c>.</summary>
public static class QueryPlans
{
    public static async Task PrintAsync(DbConnection connection, bool postgres, string title, string sql)
    {
        if (connection.State != ConnectionState.Open)
        {
            await connection.OpenAsync();
        }

        await using var command = connection.CreateCommand();
        var lines = sql.Split('\n');
        command.CommandText = (postgres ? "EXPLAIN " : "EXPLAIN QUERY PLAN ")
            + string.Join('\n', lines.Where(l => !l.StartsWith(".param", StringComparison.Ordinal) && !l.StartsWith("-- ", StringComparison.Ordinal)));
        // ToQueryString prints parameters first: ".param set @p 3" (SQLite) or "-- @p='3'" (PostgreSQL).
        foreach (var line in lines)
        {
            var (parameter, value) = line.StartsWith(".param set ", StringComparison.Ordinal) ? (line.Split(' ', 4)[2], line.Split(' ', 4)[3].Trim('\''))
                : line.StartsWith("-- @", StringComparison.Ordinal) ? (line[3..line.IndexOf('=')], line[(line.IndexOf('=') + 1)..].Split(" (")[0].Trim('\''))
                : (null, null);
            if (parameter is not null)
            {
                var p = command.CreateParameter();
                p.ParameterName = parameter;
                p.Value = long.TryParse(value, out var number) ? number : value!;
                command.Parameters.Add(p);
            }
        }

        Console.WriteLine(title);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            Console.WriteLine($"    {reader.GetValue(reader.FieldCount - 1)}");
        }
    }
}
