using System.Globalization;
using System.Security.Claims;

namespace Automations.Infrastructure;

/// <summary>
/// What an API key may do, from least to most. <see cref="Agent"/> stands apart: it reaches only the agent protocol of
/// one queue, and nothing else (not even reads), because an agent host is the machine most likely to leak its key.
/// </summary>
public enum KeyPermission
{
    /// <summary>GET requests only.</summary>
    Read = 0,

    /// <summary>Read, plus logging versions and adding or removing aliases: what a training script needs.</summary>
    Artifacts = 1,

    /// <summary>Everything a team member may do.</summary>
    Member = 2,

    /// <summary>Everything the key's holder may do (for a personal key, never more than the user's own role).</summary>
    Admin = 3,

    /// <summary>The agent endpoints (register, heartbeat, claim, report) of one queue, and nothing else.</summary>
    Agent = 4,
}

/// <summary>
/// The limits of the API key a request came with. Absent (null on <see cref="Actor.Key"/>) for a browser session and for a
/// personal key without limits (all the user's teams, admin permission): such a caller is the user, as before keys had scopes.
/// </summary>
/// <param name="KeyId">The key's row, for messages and logs.</param>
/// <param name="TeamId">The only team the key reaches; null for any team of its user.</param>
/// <param name="Permission">The most the key may do.</param>
/// <param name="QueueId">For an <see cref="KeyPermission.Agent"/> key, the only queue it serves.</param>
/// <param name="IsServiceKey">A team's service key: not a person, so no team membership to look up; its team and permission are its access.</param>
public sealed record KeyScope(int KeyId, int? TeamId, KeyPermission Permission, int? QueueId, bool IsServiceKey)
{
    private const string KeyIdClaim = "automations:key_id";
    private const string TeamClaim = "automations:key_team";
    private const string PermissionClaim = "automations:key_permission";
    private const string QueueClaim = "automations:key_queue";
    private const string ServiceClaim = "automations:service_key";

    /// <summary>Whether a key with this permission may call an endpoint that needs <paramref name="needed"/>.</summary>
    public bool Allows(KeyPermission needed) => (Permission, needed) switch
    {
        (KeyPermission.Agent, _) => needed == KeyPermission.Agent,
        // An agent receives the secrets of the jobs it runs: acting as one takes an admin's reach.
        (_, KeyPermission.Agent) => Permission == KeyPermission.Admin,
        _ => Permission >= needed,
    };

    public static string Name(KeyPermission permission) => permission.ToString().ToLowerInvariant();

    public IEnumerable<Claim> ToClaims()
    {
        yield return new Claim(KeyIdClaim, KeyId.ToString(CultureInfo.InvariantCulture));
        yield return new Claim(PermissionClaim, Permission.ToString());
        if (TeamId is { } team)
        {
            yield return new Claim(TeamClaim, team.ToString(CultureInfo.InvariantCulture));
        }

        if (QueueId is { } queue)
        {
            yield return new Claim(QueueClaim, queue.ToString(CultureInfo.InvariantCulture));
        }

        if (IsServiceKey)
        {
            yield return new Claim(ServiceClaim, "true");
        }
    }

    public static KeyScope? FromPrincipal(ClaimsPrincipal principal)
    {
        if (principal.FindFirstValue(KeyIdClaim) is not { } id || !Enum.TryParse<KeyPermission>(principal.FindFirstValue(PermissionClaim), out var permission))
        {
            return null;
        }

        return new KeyScope(int.Parse(id, CultureInfo.InvariantCulture), Number(principal.FindFirstValue(TeamClaim)), permission,
            Number(principal.FindFirstValue(QueueClaim)), principal.HasClaim(ServiceClaim, "true"));
    }

    private static int? Number(string? value) => value is null ? null : int.Parse(value, CultureInfo.InvariantCulture);
}
