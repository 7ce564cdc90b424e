using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Automations.Data.Migrations
{
    /// <inheritdoc />
    public partial class WebhookDeliveries : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_AutomationRuns_WebhookId_Id",
                table: "AutomationRuns",
                columns: new[] { "WebhookId", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_AutomationRuns_WebhookId_Id",
                table: "AutomationRuns");
        }
    }
}
