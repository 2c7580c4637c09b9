using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.Delivery;

/// <summary>What the vendor does with one message; <see cref="Reason"/> is set when it failed.</summary>
public sealed record DeliveryOutcomeDecision(DeliveryOutcome Outcome, string? Reason);

/// <summary>
/// The outcome of a message is a pure function of its id and the seed, so a resubmitted message gets its
/// first answer again without the vendor remembering it, and tests can predict every outcome exactly.
/// </summary>
public static class DeliveryOutcomes
{
    public static readonly IReadOnlyList<string> FailureReasons = ["Mailbox full", "Invalid address", "Rejected as spam", "Recipient unknown"];

    // 2^53: the doubles in [0, 1) that are exact multiples of 2^-53, spread evenly.
    private const double FractionScale = 1.0 / (1UL << 53);

    /// <summary>
    /// SHA-256 over the UTF-8 of <c>"{seed}:{messageId}"</c>: its first 8 bytes (big-endian) as a fraction in [0, 1)
    /// decide SENT (below <paramref name="successRate"/>) or FAILED; the next 8 pick a failure reason.
    /// </summary>
    public static DeliveryOutcomeDecision Decide(string messageId, int seed, double successRate)
    {
        ArgumentNullException.ThrowIfNull(messageId);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        Hash(string.Create(CultureInfo.InvariantCulture, $"{seed}:{messageId}"), digest);
        var fraction = (BinaryPrimitives.ReadUInt64BigEndian(digest) >> 11) * FractionScale;
        if (fraction < successRate)
        {
            return new DeliveryOutcomeDecision(DeliveryOutcome.Sent, null);
        }
        var reason = BinaryPrimitives.ReadUInt64BigEndian(digest[8..]) % (ulong)FailureReasons.Count;
        return new DeliveryOutcomeDecision(DeliveryOutcome.Failed, FailureReasons[(int)reason]);
    }

    /// <summary>A 64-bit key for remembering an id in little memory: the first 8 bytes of SHA-256 over its UTF-8.</summary>
    internal static ulong IdKey(string messageId)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        Hash(messageId, digest);
        return BinaryPrimitives.ReadUInt64BigEndian(digest);
    }

    private static void Hash(string text, Span<byte> digest)
    {
        var length = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rented = null;
        var utf8 = length <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var written = Encoding.UTF8.GetBytes(text, utf8);
            SHA256.HashData(utf8[..written], digest);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
