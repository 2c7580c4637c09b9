using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace XenoCrm.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class SegmentFieldIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_customers_city",
                table: "customers",
                column: "city");

            migrationBuilder.CreateIndex(
                name: "IX_customers_country",
                table: "customers",
                column: "country");

            migrationBuilder.CreateIndex(
                name: "IX_customers_first_order_at",
                table: "customers",
                column: "first_order_at");

            migrationBuilder.CreateIndex(
                name: "IX_customers_signed_up_at",
                table: "customers",
                column: "signed_up_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_customers_city",
                table: "customers");

            migrationBuilder.DropIndex(
                name: "IX_customers_country",
                table: "customers");

            migrationBuilder.DropIndex(
                name: "IX_customers_first_order_at",
                table: "customers");

            migrationBuilder.DropIndex(
                name: "IX_customers_signed_up_at",
                table: "customers");
        }
    }
}
