# engine/report.mk — the experiment report (loyaltyctl experiments report).
