using System.Data.Common;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace XenoCrm.Core.Data;

/// <summary>
/// The one way to write a statement EF Core cannot (multi-row upserts, joined updates, INSERT … SELECT):
/// a command on the context's own connection, in its current transaction.
/// </summary>
public static class RawCommands
{
    /// <summary>A new command on <paramref name="db"/>'s connection, enlisted in its current transaction if one is open.</summary>
    public static DbCommand CreateRawCommand(this CrmDbContext db) =>
        db.Database.GetDbConnection().CreateCommand().InTransactionOf(db);

    /// <summary>Enlists a command EF Core built (<c>CreateDbCommand</c>) in <paramref name="db"/>'s current transaction.</summary>
    public static DbCommand InTransactionOf(this DbCommand command, CrmDbContext db)
    {
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        return command;
    }
}

/// <summary>
/// Adds the values of a raw command as parameters. Every value is a parameter; only fixed text
/// (column lists) and the placeholders this generates are ever part of the SQL text.
/// </summary>
public sealed class SqlRows(DbCommand command, CrmDatabaseProvider provider, string prefix = "@p")
{
    private int _next;

    /// <summary>Appends "(@p0, @p1, …)" for one row's values.</summary>
    public void AppendRow(StringBuilder sql, params object?[] values)
    {
        sql.Append('(');
        for (var i = 0; i < values.Length; i++)
        {
            sql.Append(i == 0 ? "" : ", ").Append(Add(values[i]));
        }
        sql.Append(')');
    }

    /// <summary>Adds a parameter and returns its placeholder.</summary>
    public string Add(object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = $"{prefix}{_next++}";
        // SQLite stores amounts as REAL (see SqliteCrmDbContext).
        parameter.Value = value switch
        {
            null => DBNull.Value,
            decimal d when provider == CrmDatabaseProvider.Sqlite => (double)d,
            _ => value,
        };
        command.Parameters.Add(parameter);
        return parameter.ParameterName;
    }
}
