// SPDX-License-Identifier: Apache-2.0
/*
 * A read-only MC146818 CMOS clock: the guest reads the host's UTC time in
 * BCD, 24-hour mode, never mid-update. Without it Linux reads all-ones
 * from ports 0x70/0x71 and spins waiting for the update-in-progress bit.
 */
#include <string.h>
#include <time.h>

#include "devices.h"

enum {
	RTC_SECONDS = 0x00, RTC_MINUTES = 0x02, RTC_HOURS = 0x04, RTC_WEEKDAY = 0x06,
	RTC_DAY = 0x07, RTC_MONTH = 0x08, RTC_YEAR = 0x09, RTC_REG_A = 0x0a,
	RTC_REG_B = 0x0b, RTC_REG_C = 0x0c, RTC_REG_D = 0x0d, RTC_CENTURY = 0x32,
};

static uint8_t bcd(int v)
{
	return (uint8_t)((v / 10) << 4 | (v % 10));
}

void cmos_rtc_init(struct cmos_rtc *rtc)
{
	memset(rtc, 0, sizeof(*rtc));
	pthread_mutex_init(&rtc->lock, NULL);
	rtc->nvram[RTC_REG_A] = 0x26;  /* 32.768 kHz divider, 1024 Hz rate, UIP clear */
	rtc->nvram[RTC_REG_B] = 0x02;  /* 24-hour mode, BCD */
	rtc->nvram[RTC_REG_D] = 0x80;  /* battery good, contents valid */
}

void cmos_rtc_destroy(struct cmos_rtc *rtc)
{
	pthread_mutex_destroy(&rtc->lock);
}

static uint8_t rtc_time_reg(uint8_t index)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	switch (index) {
	case RTC_SECONDS: return bcd(tm.tm_sec);
	case RTC_MINUTES: return bcd(tm.tm_min);
	case RTC_HOURS: return bcd(tm.tm_hour);
	case RTC_WEEKDAY: return bcd(tm.tm_wday + 1);
	case RTC_DAY: return bcd(tm.tm_mday);
	case RTC_MONTH: return bcd(tm.tm_mon + 1);
	case RTC_YEAR: return bcd(tm.tm_year % 100);
	default: return bcd((tm.tm_year + 1900) / 100);
	}
}

static void rtc_read(void *opaque, uint64_t offset, void *data, unsigned len)
{
	struct cmos_rtc *rtc = opaque;
	uint8_t v;

	memset(data, 0, len);
	if (offset == 0)
		return;
	pthread_mutex_lock(&rtc->lock);
	switch (rtc->index) {
	case RTC_SECONDS: case RTC_MINUTES: case RTC_HOURS: case RTC_WEEKDAY:
	case RTC_DAY: case RTC_MONTH: case RTC_YEAR: case RTC_CENTURY:
		v = rtc_time_reg(rtc->index);
		break;
	default:
		v = rtc->nvram[rtc->index];
	}
	pthread_mutex_unlock(&rtc->lock);
	*(uint8_t *)data = v;
}

static void rtc_write(void *opaque, uint64_t offset, const void *data, unsigned len)
{
	struct cmos_rtc *rtc = opaque;
	uint8_t v = *(const uint8_t *)data;

	(void)len;
	pthread_mutex_lock(&rtc->lock);
	if (offset == 0)
		rtc->index = v & 0x7f;  /* bit 7 is the NMI mask */
	else if (rtc->index > RTC_REG_D)
		rtc->nvram[rtc->index] = v;  /* ordinary CMOS RAM; the clock is read-only */
	pthread_mutex_unlock(&rtc->lock);
}

const struct bus_device_ops cmos_rtc_ops = {
	.read = rtc_read,
	.write = rtc_write,
};
