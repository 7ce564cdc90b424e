using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Automations.Data.Migrations
{
    /// <inheritdoc />
    public partial class ScopedApiKeys : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "UserId",
                table: "ApiKeys",
                type: "TEXT",
                nullable: true,
                oldClrType: typeof(string),
                oldType: "TEXT");

            migrationBuilder.AddColumn<string>(
                name: "CreatedBy",
                table: "ApiKeys",
                type: "TEXT",
                maxLength: 256,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<long>(
                name: "ExpiresAt",
                table: "ApiKeys",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Permission",
                table: "ApiKeys",
                type: "TEXT",
                maxLength: 16,
                nullable: false,
                defaultValue: "Admin");

            migrationBuilder.AddColumn<int>(
                name: "QueueId",
                table: "ApiKeys",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "TeamId",
                table: "ApiKeys",
                type: "INTEGER",
                nullable: true);

            // Keys made before scopes reach all their user's teams as the user: the admin permission, which never exceeds the user's role.
            migrationBuilder.Sql("""UPDATE "ApiKeys" SET "CreatedBy" = COALESCE((SELECT "UserName" FROM "AspNetUsers" WHERE "AspNetUsers"."Id" = "ApiKeys"."UserId"), '')""");

            migrationBuilder.CreateIndex(
                name: "IX_ApiKeys_QueueId",
                table: "ApiKeys",
                column: "QueueId");

            migrationBuilder.CreateIndex(
                name: "IX_ApiKeys_TeamId",
                table: "ApiKeys",
                column: "TeamId");

            migrationBuilder.AddForeignKey(
                name: "FK_ApiKeys_LaunchQueues_QueueId",
                table: "ApiKeys",
                column: "QueueId",
                principalTable: "LaunchQueues",
                principalColumn: "Id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "FK_ApiKeys_Teams_TeamId",
                table: "ApiKeys",
                column: "TeamId",
                principalTable: "Teams",
                principalColumn: "Id",
                onDelete: ReferentialAction.Cascade);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_ApiKeys_LaunchQueues_QueueId",
                table: "ApiKeys");

            migrationBuilder.DropForeignKey(
                name: "FK_ApiKeys_Teams_TeamId",
                table: "ApiKeys");

            migrationBuilder.DropIndex(
                name: "IX_ApiKeys_QueueId",
                table: "ApiKeys");

            migrationBuilder.DropIndex(
                name: "IX_ApiKeys_TeamId",
                table: "ApiKeys");

            migrationBuilder.DropColumn(
                name: "CreatedBy",
                table: "ApiKeys");

            migrationBuilder.DropColumn(
                name: "ExpiresAt",
                table: "ApiKeys");

            migrationBuilder.DropColumn(
                name: "Permission",
                table: "ApiKeys");

            migrationBuilder.DropColumn(
                name: "QueueId",
                table: "ApiKeys");

            migrationBuilder.DropColumn(
                name: "TeamId",
                table: "ApiKeys");

            migrationBuilder.AlterColumn<string>(
                name: "UserId",
                table: "ApiKeys",
                type: "TEXT",
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "TEXT",
                oldNullable: true);
        }
    }
}
