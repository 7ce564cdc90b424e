using Automations.Features.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Automations.Features.Secrets;

public class TeamSecret
{
    public int Id { get; set; }

    public int TeamId { get; set; }

    /// <summary>Referenced from payloads as <c>${Name}</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary>The value, encrypted with Data Protection. Never leaves the server in clear except on the wire to a webhook.</summary>
    public string ProtectedValue { get; set; } = "";

    public string UpdatedBy { get; set; } = "";

    public DateTimeOffset UpdatedAt { get; set; }

    public Team Team { get; set; } = null!;
}

internal sealed class TeamSecretConfiguration : IEntityTypeConfiguration<TeamSecret>
{
    public void Configure(EntityTypeBuilder<TeamSecret> builder)
    {
        builder.Property(s => s.Name).HasMaxLength(SecretService.MaxNameLength);
        builder.Property(s => s.UpdatedBy).HasMaxLength(256);
        builder.HasIndex(s => new { s.TeamId, s.Name }).IsUnique();
        builder.HasOne(s => s.Team).WithMany().HasForeignKey(s => s.TeamId).OnDelete(DeleteBehavior.Cascade);
    }
}
