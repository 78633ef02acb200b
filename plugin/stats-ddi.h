/* stats-ddi.h — the statistics tree and the per-source report.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef STATS_DDI_H
#define STATS_DDI_H

void ddi_stats_register(void);

#endif
