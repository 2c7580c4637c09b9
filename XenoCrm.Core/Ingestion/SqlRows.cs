using System.Data.Common;
using System.Text;
using XenoCrm.Core.Data;

namespace XenoCrm.Core.Ingestion;

/// <summary>
/// Builds the multi-row statements of the ingestion writers. Every value is a parameter; only
/// the fixed column lists and generated parameter names are ever part of the SQL text.
/// </summary>
internal sealed class SqlRows(DbCommand command, CrmDatabaseProvider provider)
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
        parameter.ParameterName = $"@p{_next++}";
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
