using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Fluid;
using Fluid.Ast;
using Fluid.Values;
using Microsoft.Extensions.FileProviders;

namespace XenoCrm.Core.Campaigns;

/// <summary>
/// The one Fluid parser and options every message template shares. Both are only read after this
/// class is initialized, which is what makes a parsed template safe to render from many threads.
/// </summary>
internal static class TemplateSandbox
{
    public const int MaxSteps = 10_000;
    public const int MaxOutputLength = Campaign.TemplateMaxLength * 2;

    /// <summary>Tags that reach outside the template (files) or buffer output where the length bound cannot see it.</summary>
    public static readonly IReadOnlyList<string> RemovedTags = ["include", "render", "ifchanged"];

    public static readonly FluidParser Parser = CreateParser();
    public static readonly TemplateOptions Options = CreateOptions();

    private static FluidParser CreateParser()
    {
        var parser = new FluidParser(new FluidParserOptions { AllowFunctions = false, AllowLiquidTag = true });
        foreach (var tag in RemovedTags)
        {
            parser.RegisteredTags.Remove(tag);
        }

        return parser;
    }

    private static TemplateOptions CreateOptions()
    {
        var options = new TemplateOptions
        {
            // Only the registered members of TemplateCustomer are reachable: no reflection over arbitrary objects.
            MemberAccessStrategy = new DefaultMemberAccessStrategy(),
            FileProvider = new NullFileProvider(),
            MaxSteps = MaxSteps,
            MaxRecursion = 20,
            CultureInfo = CultureInfo.InvariantCulture,
            TimeZone = TimeZoneInfo.Utc,
            // The options are built once and shared by every render, so the clock is the system's, not a scope's.
            Now = TimeProvider.System.GetUtcNow,
        };

        foreach (var (name, read) in TemplateCustomer.Members)
        {
            options.MemberAccessStrategy.Register<TemplateCustomer, object?>(name, read);
        }

        BoundFilters(options.Filters);
        return options;
    }

    /// <summary>
    /// Steps bound time, not memory: <c>{% assign s = s | append: s %}</c> in a loop doubles a string per step,
    /// and <c>replace</c> or <c>join</c> multiply their input in one step. So no filter may produce a text
    /// or list longer than the output may be, and those two are checked before they run.
    /// </summary>
    private static void BoundFilters(FilterCollection filters)
    {
        foreach (var (name, filter) in filters.ToList())
        {
            var precheck = name switch
            {
                "replace" => CheckReplace,
                "join" => CheckJoin,
                _ => (Action<FluidValue, FilterArguments, TemplateContext>?)null,
            };
            filters.AddFilter(name, async (input, arguments, context) =>
            {
                precheck?.Invoke(input, arguments, context);
                var result = await filter(input, arguments, context);
                CheckSize(name, result);
                return result;
            });
        }
    }

    private static void CheckReplace(FluidValue input, FilterArguments arguments, TemplateContext context)
    {
        var text = input.ToStringValue();
        var old = arguments.At(0).ToStringValue();
        var replacement = arguments.At(1).ToStringValue();
        if (old.Length == 0 || replacement.Length <= old.Length)
        {
            return;
        }

        long length = text.Length;
        for (var at = text.IndexOf(old, StringComparison.Ordinal); at >= 0; at = text.IndexOf(old, at + old.Length, StringComparison.Ordinal))
        {
            length += replacement.Length - old.Length;
            if (length > MaxOutputLength)
            {
                throw TooLong("replace");
            }
        }
    }

    private static void CheckJoin(FluidValue input, FilterArguments arguments, TemplateContext context)
    {
        if (input is not ArrayValue array)
        {
            return;
        }

        var separator = arguments.At(0).IsNil() ? 1 : arguments.At(0).ToStringValue().Length;
        long length = 0;
        foreach (var item in array.Values)
        {
            length += item.ToStringValue().Length + separator;
            if (length > MaxOutputLength + separator)
            {
                throw TooLong("join");
            }
        }
    }

    private static void CheckSize(string filter, FluidValue result)
    {
        var size = result switch
        {
            StringValue text => text.ToStringValue().Length,
            ArrayValue array => array.Values.Count,
            _ => 0,
        };
        if (size > MaxOutputLength)
        {
            throw TooLong(filter);
        }
    }

    private static TemplateRenderException TooLong(string filter) =>
        new($"The '{filter}' filter made a value longer than the {MaxOutputLength:N0} characters a message may have.");

    /// <summary>Renders <paramref name="statements"/> without letting their output pass <see cref="MaxOutputLength"/>.</summary>
    public static async ValueTask<(Completion Completion, string Text)> RenderBoundedAsync(
        IReadOnlyList<Statement> statements, TextEncoder encoder, TemplateContext context)
    {
        using var writer = new BoundedWriter(MaxOutputLength);
        var completion = Completion.Normal;
        foreach (var statement in statements)
        {
            completion = await statement.WriteToAsync(writer, encoder, context);
            if (completion != Completion.Normal)
            {
                break;
            }
        }

        return (completion, writer.ToString());
    }
}

/// <summary>
/// A string writer that refuses to grow past a limit, so that a runaway loop ends in a
/// <see cref="TemplateRenderException"/> rather than in memory exhaustion.
/// </summary>
internal sealed class BoundedWriter(int limit) : StringWriter(CultureInfo.InvariantCulture)
{
    private void Reserve(int count)
    {
        if (GetStringBuilder().Length + count > limit)
        {
            throw new TemplateRenderException($"The message is longer than the {limit:N0} characters it may have.");
        }
    }

    public override void Write(char value)
    {
        Reserve(1);
        base.Write(value);
    }

    public override void Write(char[] buffer, int index, int count)
    {
        Reserve(count);
        base.Write(buffer, index, count);
    }

    public override void Write(ReadOnlySpan<char> buffer)
    {
        Reserve(buffer.Length);
        base.Write(buffer);
    }

    public override void Write(string? value)
    {
        Reserve(value?.Length ?? 0);
        base.Write(value);
    }

    public override void Write(StringBuilder? value)
    {
        Reserve(value?.Length ?? 0);
        base.Write(value);
    }

    public override Task WriteAsync(char value)
    {
        Write(value);
        return Task.CompletedTask;
    }

    public override Task WriteAsync(string? value)
    {
        Write(value);
        return Task.CompletedTask;
    }

    public override Task WriteAsync(char[] buffer, int index, int count)
    {
        Write(buffer, index, count);
        return Task.CompletedTask;
    }

    public override Task WriteAsync(ReadOnlyMemory<char> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Fluid builds a range's whole list before a loop walks it, so <c>(1..100000000)</c> costs gigabytes
/// before the step limit can stop it: the range is measured first.
/// </summary>
internal sealed class BoundedRangeExpression(RangeExpression range) : Expression
{
    public override async ValueTask<FluidValue> EvaluateAsync(TemplateContext context)
    {
        var from = (await range.From.EvaluateAsync(context)).ToNumberValue();
        var to = (await range.To.EvaluateAsync(context)).ToNumberValue();
        if (Math.Abs(to - from) >= TemplateSandbox.MaxOutputLength)
        {
            throw new TemplateRenderException(
                $"The range ({from.ToString(CultureInfo.InvariantCulture)}..{to.ToString(CultureInfo.InvariantCulture)}) is longer than the {TemplateSandbox.MaxOutputLength:N0} items a message may use.");
        }

        return await range.EvaluateAsync(context);
    }

    protected override Expression Accept(AstVisitor visitor) => visitor.VisitOtherExpression(this);
}

/// <summary><c>{% capture %}</c> with its buffer bounded like the message itself (Fluid's own buffer is not).</summary>
internal sealed class BoundedCaptureStatement(string identifier, IReadOnlyList<Statement> statements) : Statement
{
    public override async ValueTask<Completion> WriteToAsync(TextWriter writer, TextEncoder encoder, TemplateContext context)
    {
        var (completion, text) = await TemplateSandbox.RenderBoundedAsync(statements, encoder, context);
        context.SetValue(identifier, new StringValue(text, encode: false));
        return completion;
    }

    protected override Statement Accept(AstVisitor visitor) => visitor.VisitOtherStatement(this);
}
