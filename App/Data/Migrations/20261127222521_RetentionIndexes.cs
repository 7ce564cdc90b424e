using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Automations.Data.Migrations
{
    /// <inheritdoc />
    public partial class RetentionIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_LaunchRuns_EndedAt",
                table: "LaunchRuns",
                column: "EndedAt");

            migrationBuilder.CreateIndex(
                name: "IX_LaunchRuns_EventId",
                table: "LaunchRuns",
                column: "EventId");

            migrationBuilder.CreateIndex(
                name: "IX_IdempotencyRecords_CreatedAt",
                table: "IdempotencyRecords",
                column: "CreatedAt");

            migrationBuilder.CreateIndex(
                name: "IX_DeliveryAttempts_StartedAt",
                table: "DeliveryAttempts",
                column: "StartedAt");

            migrationBuilder.CreateIndex(
                name: "IX_AutomationRuns_CompletedAt",
                table: "AutomationRuns",
                column: "CompletedAt");

            migrationBuilder.CreateIndex(
                name: "IX_ArtifactEvents_CreatedAt",
                table: "ArtifactEvents",
                column: "CreatedAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_LaunchRuns_EndedAt",
                table: "LaunchRuns");

            migrationBuilder.DropIndex(
                name: "IX_LaunchRuns_EventId",
                table: "LaunchRuns");

            migrationBuilder.DropIndex(
                name: "IX_IdempotencyRecords_CreatedAt",
                table: "IdempotencyRecords");

            migrationBuilder.DropIndex(
                name: "IX_DeliveryAttempts_StartedAt",
                table: "DeliveryAttempts");

            migrationBuilder.DropIndex(
                name: "IX_AutomationRuns_CompletedAt",
                table: "AutomationRuns");

            migrationBuilder.DropIndex(
                name: "IX_ArtifactEvents_CreatedAt",
                table: "ArtifactEvents");
        }
    }
}
