import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { renderWithProviders } from '../../test/render';
import { ImportReport } from './ImportPage';

describe('the import report', () => {
  it('lists each rejected line with its error, and counts the ones left out', () => {
    renderWithProviders(
      <ImportReport
        result={{
          inserted: 8,
          failed: 3,
          errors: [
            { line: 3, message: 'price: must be > 0' },
            { line: 7, message: 'name: required' },
          ],
          errorsOmitted: 1,
        }}
      />,
    );
    expect(screen.getByText('8 imported, 3 rejected.')).toBeInTheDocument();
    const table = screen.getByRole('table', { name: 'Rejected lines' });
    const rows = within(table).getAllByRole('row');
    expect(rows.map((row) => row.textContent)).toEqual(['LineError', '3price: must be > 0', '7name: required']);
    expect(screen.getByText(/1 more rejected lines/)).toBeInTheDocument();
  });
});
